"""The roster's export (prepared in the background: ``workforce.exports``) and a
caregiver's full ID number shown on request (only to roles allowed to see it, audited)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from yiyang.core.permissions import request_actor
from yiyang.core.web.exports import export_start_response
from yiyang.core.web.forms import error_text
from yiyang.workforce import services
from yiyang.workforce.exports import ROSTER_EXPORT
from yiyang.workforce.selectors import person_get_for_actor, person_record


@require_http_methods(["GET", "POST"])
@login_required
def roster_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered roster as .xlsx (``selectors.may_export_roster``), prepared in the
    background: POST queues it and opens the job page with its progress bar."""
    return export_start_response(
        request, kind=ROSTER_EXPORT, params={"filters": dict(request.GET.lists())}
    )


@login_required
@require_POST
def person_id_number_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The person's page with the full ID number, for a role that may see it (POST, so a
    link or a prefetch never reveals it; each reveal is audited)."""
    actor = request_actor(request)
    person = person_get_for_actor(actor=actor, external_id=external_id)
    context: dict[str, object] = {
        "person": person,
        "today": timezone.localdate(),
        **person_record(person),
    }
    try:
        context["id_number"] = services.person_id_number_reveal(actor=actor, person=person)
    except ValidationError as exc:
        context["reveal_error"] = error_text(exc)
    response = render(request, "workforce/person.html", context)
    response["Cache-Control"] = "no-store"
    return response
