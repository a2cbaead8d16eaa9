"""Pages for an elder's emergency contacts and consents."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.web.forms import changed_values
from yiyang.core.web.saving import action_done, form_response
from yiyang.elders import services
from yiyang.elders.choices import AccessAction, SensitiveField
from yiyang.elders.models import Elder, ElderContact
from yiyang.elders.permissions import visible_fields
from yiyang.elders.selectors import elder_consent_get, elder_contact_get, elder_get_for_actor
from yiyang.elders.sensitive import contact_phones
from yiyang.elders.web.forms import ConsentForm, ConsentWithdrawForm, ContactForm


def _elder_page(elder: Elder) -> HttpResponse:
    return redirect("elders:detail", external_id=elder.external_id)


@require_http_methods(["GET", "POST"])
@login_required
def contact_edit_view(
    request: HttpRequest, external_id: str, contact_id: str | None = None
) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_ELDERS)
    elder = elder_get_for_actor(actor=actor, external_id=external_id)
    contact: ElderContact | None = (
        elder_contact_get(actor=actor, elder=elder, external_id=contact_id) if contact_id else None
    )
    show_phones = SensitiveField.CONTACT_PHONES in visible_fields(actor)
    initial: dict[str, Any] = {}
    if contact is not None:
        initial = {
            "name": contact.name,
            "relation": contact.relation,
            "is_first_to_call": contact.is_first_to_call,
        }
        if show_phones:
            initial["phones"] = contact_phones(contact)
    form = ContactForm(request.POST or None, initial=initial, show_phones=show_phones)
    if request.method == "GET" and contact is not None and initial.get("phones"):
        services.access_logged(
            actor=actor,
            action=AccessAction.VIEW,
            fields=[SensitiveField.CONTACT_PHONES],
            elders=[(elder.pk, elder.division_code)],
        )
    write: Callable[..., Any] = partial(services.contact_add, actor=actor, elder=elder)
    values: Callable[[ContactForm], Mapping[str, Any]] | None = None
    if contact is not None:
        write = partial(services.contact_update, actor=actor, contact=contact)
        values = changed_values
    return form_response(
        request,
        form,
        write,
        _("Saved."),
        values=values,
        done=lambda _saved: _elder_page(elder),
        again=lambda: render(
            request, "elders/contact_form.html", {"form": form, "elder": elder, "contact": contact}
        ),
    )


@require_POST
@login_required
def contact_remove_view(request: HttpRequest, external_id: str, contact_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_ELDERS)
    elder = elder_get_for_actor(actor=actor, external_id=external_id)
    contact = elder_contact_get(actor=actor, elder=elder, external_id=contact_id)
    remove = partial(services.contact_remove, actor=actor, contact=contact)
    action_done(request, remove, _("The contact was removed."))
    return _elder_page(elder)


@require_http_methods(["GET", "POST"])
@login_required
def consent_create_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_ELDERS)
    elder = elder_get_for_actor(actor=actor, external_id=external_id)
    form = ConsentForm(request.POST or None)
    return form_response(
        request,
        form,
        partial(services.consent_record, actor=actor, elder=elder),
        _("Saved."),
        done=lambda _saved: _elder_page(elder),
        again=lambda: render(request, "elders/consent_form.html", {"form": form, "elder": elder}),
    )


@require_POST
@login_required
def consent_withdraw_view(request: HttpRequest, external_id: str, consent_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_ELDERS)
    elder = elder_get_for_actor(actor=actor, external_id=external_id)
    consent = elder_consent_get(elder=elder, external_id=consent_id)
    form = ConsentWithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    withdraw = partial(services.consent_withdraw, actor=actor, consent=consent, reason=reason)
    action_done(request, withdraw, _("The consent was withdrawn."))
    return _elder_page(elder)
