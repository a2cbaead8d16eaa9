"""The elder's assessment page: the trend, requests, care-risk events, declarations."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.assessments import services
from yiyang.assessments.choices import DeclaredRelation
from yiyang.assessments.selectors import elder_assessments, elder_level_trend, risk_events_of
from yiyang.assessments.web.forms import DeclarationForm, RequestForm, RiskEventForm
from yiyang.assessments.web.views import (
    TREND_BOTTOM,
    TREND_LEFT,
    TREND_STEP,
    TREND_TOP,
    TREND_WIDTH,
    trend_chart,
)
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.saving import form_response
from yiyang.elders.choices import AbilityLevel
from yiyang.elders.models import Elder
from yiyang.elders.selectors import elder_get_for_actor


def _elder_context(request: HttpRequest, elder: Elder, **forms: Any) -> dict[str, Any]:
    actor = request_actor(request)
    today = timezone.localdate()
    names = {n: str(level.label) for n, level in enumerate(AbilityLevel)}
    trend = elder_level_trend(actor=actor, elder=elder)
    can_request = has_perm(actor, Permission.REQUEST_ASSESSMENTS)
    return {
        "elder": elder,
        "level": services.elder_level(elder),
        "trend": trend_chart(trend, names, today),
        "chart": {
            "width": TREND_WIDTH,
            "height": TREND_TOP + 4 * TREND_STEP + TREND_BOTTOM,
            "left": TREND_LEFT,
        },
        "entitlements": services.entitlements_for(elder=elder, today=today),
        "assessments": list(elder_assessments(actor=actor, elder=elder)[:20]),
        "risk_events": list(risk_events_of(actor=actor, elder=elder)[:10]),
        "can_request": can_request,
        "can_declare": has_perm(actor, Permission.CONDUCT_ASSESSMENTS),
        "request_form": forms.get("request_form") or RequestForm(),
        "risk_form": forms.get("risk_form") or RiskEventForm(initial={"occurred_on": today}),
        "declaration_form": forms.get("declaration_form") or DeclarationForm(),
    }


def _elder_for(request: HttpRequest, external_id: str) -> Elder:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_ASSESSMENTS)
    return elder_get_for_actor(actor=actor, external_id=external_id)


@login_required
def elder_assessments_view(request: HttpRequest, external_id: str) -> HttpResponse:
    elder = _elder_for(request, external_id)
    return render(request, "assessments/elder_assessments.html", _elder_context(request, elder))


def _elder_page(elder: Elder) -> HttpResponse:
    return redirect("assessments:elder", external_id=elder.external_id)


def _elder_form_response(
    request: HttpRequest,
    elder: Elder,
    key: str,
    form: forms.Form,
    write: Callable[..., Any],
    success: str | Callable[[Any], str],
    done: Callable[[Any], HttpResponse] | None = None,
) -> HttpResponse:
    """One of the page's forms posted: saved, or the page again with the form (as ``key``)
    showing why not."""
    return form_response(
        request,
        form,
        write,
        success,
        done=done or (lambda _saved: _elder_page(elder)),
        again=lambda: render(
            request,
            "assessments/elder_assessments.html",
            _elder_context(request, elder, **{key: form}),
            status=400,
        ),
    )


@require_POST
@login_required
def elder_request_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.REQUEST_ASSESSMENTS)
    elder = _elder_for(request, external_id)
    return _elder_form_response(
        request,
        elder,
        "request_form",
        RequestForm(request.POST),
        partial(services.assessment_request, actor=actor, elder=elder),
        _("The assessment was requested."),
        lambda assessment: redirect("assessments:detail", external_id=assessment.external_id),
    )


def _after_risk_event(request: HttpRequest, elder: Elder, kind: str) -> HttpResponse:
    proposal = services.reassessment_after(elder=elder, kind=kind)
    if proposal is not None:
        if proposal == services.REASSESSMENT_REQUESTED:
            messages.warning(
                request,
                _(
                    "After a fall or a hospital stay an immediate re-assessment is "
                    "proposed: it has been requested."
                ),
            )
        else:
            messages.warning(
                request,
                _("After a fall or a hospital stay an assessment is advisable: request one below."),
            )
    return _elder_page(elder)


@require_POST
@login_required
def elder_risk_event_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.REQUEST_ASSESSMENTS)
    elder = _elder_for(request, external_id)
    form = RiskEventForm(request.POST)
    return _elder_form_response(
        request,
        elder,
        "risk_form",
        form,
        partial(services.risk_event_record, actor=actor, elder=elder),
        _("The event was recorded."),
        lambda _saved: _after_risk_event(request, elder, form.cleaned_data["kind"]),
    )


@require_POST
@login_required
def elder_declaration_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.CONDUCT_ASSESSMENTS)
    elder = _elder_for(request, external_id)
    form = DeclarationForm(request.POST)
    return _elder_form_response(
        request,
        elder,
        "declaration_form",
        form,
        partial(services.declaration_record, actor=actor, elder=elder),
        lambda _saved: (
            _("Your relation (%(relation)s) is recorded: you will not assess this elder.")
            % {"relation": DeclaredRelation(form.cleaned_data["relation"]).label}
        ),
    )
