"""One assessment: its page and the workflow actions taken from it."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiyang.assessments import services
from yiyang.assessments.lifecycle import AssessmentAction, assessment_actions
from yiyang.assessments.models import Assessment
from yiyang.assessments.selectors import (
    assessment_get_for_actor,
    assessment_history,
    assessor_get,
    assessors_for,
)
from yiyang.assessments.web.forms import ReasonForm, ScheduleForm
from yiyang.assessments.web.views import (
    REPORT_STATUSES,
    _history_rows,
    level_names,
)
from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.web.saving import form_response

F = TypeVar("F", bound=forms.BaseForm)


def _result_rows(
    assessment: Assessment, definition: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    """The stored result (as the reader may see it) laid out for the page and the report:
    domains with totals and maxima, levels with names, applied rules."""
    names = level_names(assessment.instrument)
    totals = result.get("domain_totals", {})
    domains = [
        {
            "code": d["code"],
            "title": d.get("title", ""),
            "max": d.get("max"),
            "total": totals.get(d["code"]),
        }
        for d in definition["domains"]
    ]
    prelim = assessment.preliminary_level
    final = assessment.final_level
    return {
        "domains": domains,
        "total": assessment.total,
        "max_total": definition.get("max_total"),
        "preliminary_level": prelim,
        "preliminary_name": names.get(prelim, "") if prelim is not None else "",
        "final_level": final,
        "final_name": names.get(final, "") if final is not None else "",
        "applied_rules": result.get("applied_rules", []),
        "band": result.get("band", ""),
        "has_result": bool(result),
    }


def _answer_rows(definition: dict[str, Any], answers: services.Answers) -> list[dict[str, Any]]:
    rows = []
    for domain in definition["domains"]:
        for item in domain["items"]:
            points = answers.answers.get(item["code"])
            text = next((o["text"] for o in item["options"] if o["points"] == points), "")
            rows.append({"item": item, "points": points, "text": text, "domain": domain["code"]})
    return rows


def result_context(actor: Any, assessment: Assessment) -> dict[str, Any]:
    """The assessment, its instrument and its result, with the answers where the actor may
    see health data (revealing them is logged): what the page and the report both show."""
    definition = services.instrument_definition(assessment.instrument)
    health = services.assessment_health_reveal(actor=actor, assessment=assessment)
    answers = health.answers
    return {
        "a": assessment,
        "elder": assessment.elder,
        "definition": definition,
        "result": _result_rows(assessment, definition, health.result),
        "answers": answers,
        "answer_rows": _answer_rows(definition, answers) if answers is not None else [],
    }


def _detail_context(request: HttpRequest, assessment: Assessment, **forms: Any) -> dict[str, Any]:
    actor = request_actor(request)
    status = assessment.status
    actions = assessment_actions(actor=actor, assessment=assessment)
    can_schedule = AssessmentAction.SCHEDULE in actions
    schedule_form = forms.get("schedule_form")
    if can_schedule and schedule_form is None:
        initial: dict[str, Any] = {"place": assessment.place or _("The elder's home")}
        if assessment.assessor is not None:
            initial["assessor"] = str(assessment.assessor.external_id)
        if assessment.second_assessor is not None:
            initial["second_assessor"] = str(assessment.second_assessor.external_id)
        if assessment.scheduled_at is not None:
            initial["scheduled_at"] = timezone.localtime(assessment.scheduled_at)
        else:  # a suggestion: tomorrow at nine
            tomorrow = timezone.localdate() + datetime.timedelta(days=1)
            initial["scheduled_at"] = datetime.datetime.combine(tomorrow, datetime.time(9, 0))
        schedule_form = ScheduleForm(
            initial=initial, assessors=assessors_for(elder=assessment.elder)
        )
    return {
        **result_context(actor, assessment),
        "history": _history_rows(assessment_history(assessment=assessment)),
        "can_enter": AssessmentAction.ENTER in actions,
        "can_schedule": can_schedule,
        "can_review": AssessmentAction.REVIEW in actions,
        "can_cancel": AssessmentAction.CANCEL in actions,
        "has_report": status in REPORT_STATUSES,
        "schedule_form": schedule_form,
        "return_form": forms.get("return_form") or ReasonForm(prefix="return"),
        "cancel_form": forms.get("cancel_form") or ReasonForm(prefix="cancel"),
        "finalise_errors": forms.get("finalise_errors", []),
    }


@login_required
def assessment_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    assessment = assessment_get_for_actor(actor=request_actor(request), external_id=external_id)
    return render(
        request, "assessments/assessment_detail.html", _detail_context(request, assessment)
    )


@require_POST
@login_required
def assessment_schedule_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.SCHEDULE_ASSESSMENTS)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    form = ScheduleForm(request.POST, assessors=assessors_for(elder=assessment.elder))
    return _detail_form_response(
        request,
        assessment,
        "schedule_form",
        form,
        partial(services.assessment_schedule, actor=actor, assessment=assessment),
        _("The assessment is scheduled."),
        values=_schedule_values,
    )


def _schedule_values(form: ScheduleForm) -> dict[str, Any]:
    data = form.cleaned_data
    second = data["second_assessor"]
    return {
        "assessor": assessor_get(external_id=data["assessor"]),
        "second_assessor": assessor_get(external_id=second) if second else None,
        "scheduled_at": data["scheduled_at"],
        "place": data["place"],
    }


def _detail_form_response(
    request: HttpRequest,
    assessment: Assessment,
    key: str,
    form: F,
    write: Callable[..., Any],
    success: str,
    *,
    values: Callable[[F], Mapping[str, Any]] | None = None,
) -> HttpResponse:
    """One of the page's forms posted: saved, or the page again with the form (as ``key``)
    showing why not."""
    return form_response(
        request,
        form,
        write,
        success,
        values=values,
        done=lambda _saved: redirect("assessments:detail", external_id=assessment.external_id),
        again=lambda: render(
            request,
            "assessments/assessment_detail.html",
            _detail_context(request, assessment, **{key: form}),
            status=400,
        ),
    )


# The steps that take a reason: the service and what is said once it is done.
_REASON_ACTIONS = {
    "return": (
        services.assessment_return,
        gettext_lazy("The assessment was returned to its assessor."),
    ),
    "cancel": (services.assessment_cancel, gettext_lazy("The assessment was cancelled.")),
}


def _reason_action(request: HttpRequest, external_id: str, action: str) -> HttpResponse:
    actor = request_actor(request)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    service, success = _REASON_ACTIONS[action]
    return _detail_form_response(
        request,
        assessment,
        f"{action}_form",
        ReasonForm(request.POST, prefix=action),
        partial(service, actor=actor, assessment=assessment),
        str(success),
    )


@require_POST
@login_required
def assessment_return_view(request: HttpRequest, external_id: str) -> HttpResponse:
    require_perm(request_actor(request), Permission.REVIEW_ASSESSMENTS)
    return _reason_action(request, external_id, "return")


@require_POST
@login_required
def assessment_cancel_view(request: HttpRequest, external_id: str) -> HttpResponse:
    require_perm(request_actor(request), Permission.SCHEDULE_ASSESSMENTS)
    return _reason_action(request, external_id, "cancel")


@require_POST
@login_required
def assessment_finalise_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.REVIEW_ASSESSMENTS)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    try:
        services.assessment_finalise(actor=actor, assessment=assessment)
    except ValidationError as exc:
        context = _detail_context(request, assessment, finalise_errors=exc.messages)
        return render(request, "assessments/assessment_detail.html", context, status=400)
    messages.success(request, _("The assessment is final; the elder's level follows it."))
    return redirect("assessments:detail", external_id=assessment.external_id)
