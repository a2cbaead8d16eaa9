"""Pages of training: courses and sessions, a session with its QR code and enrolments,
and the phone-sized check-in a scanned QR code opens."""

from __future__ import annotations

from functools import partial
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.permissions import Permission, has_perm, request_actor
from yiyang.core.web.forms import error_text
from yiyang.core.web.saving import form_saved
from yiyang.services.selectors import provider_queryset
from yiyang.workforce import services
from yiyang.workforce.selectors import (
    actor_division,
    course_queryset,
    person_get_for_actor,
    roster_list,
    session_by_token,
    session_enrolments,
    session_get_for_actor,
    session_queryset,
)
from yiyang.workforce.web.forms import CourseForm, SessionForm


def _new_course(actor: Any, data: dict[str, Any]) -> Any:
    organiser = data.pop("organiser")
    division = organiser.division if organiser else actor_division(actor)
    if division is None:
        raise ValidationError({"organiser": _("Choose the organiser.")})
    return services.course_create(
        actor=actor,
        division=division,
        organiser=organiser,
        certificate_valid_months=data.pop("certificate_valid_months") or None,
        **data,
    )


@login_required
def training_view(request: HttpRequest) -> HttpResponse:
    """Sessions and courses; those who run training add courses and sessions here."""
    actor = request_actor(request)
    courses = course_queryset(actor=actor)
    can_manage = has_perm(actor, Permission.MANAGE_TRAINING)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("training")
    data = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if data is not None else None
    organisers = provider_queryset(actor=actor).order_by("name")
    course_form = CourseForm(data if which == "course" else None, organisers=organisers)
    session_form = SessionForm(data if which == "session" else None, courses=courses)
    denied = _("You may not organise this course.")
    if which == "course" and form_saved(
        request, course_form, lambda **d: _new_course(actor, d), _("Course added."), denied=denied
    ):
        return redirect(request.path)
    if which == "session" and form_saved(
        request,
        session_form,
        partial(services.session_create, actor=actor),
        _("Session added."),
        denied=denied,
    ):
        return redirect(request.path)
    return render(
        request,
        "workforce/training.html",
        {
            "courses": courses[:200],
            "sessions": session_queryset(actor=actor).order_by("-starts_at")[:100],
            "now": timezone.now(),
            "can_manage": can_manage,
            "course_form": course_form,
            "session_form": session_form,
        },
    )


def _session_post(request: HttpRequest, session: Any) -> None:
    actor = request_actor(request)
    try:
        if "enrol_self" in request.POST:
            services.enrolment_add(actor=actor, session=session)
            messages.success(request, _("Enrolled."))
        elif "enrol" in request.POST:
            person = person_get_for_actor(actor=actor, external_id=request.POST["enrol"])
            services.enrolment_add(actor=actor, session=session, person=person)
            messages.success(request, _("Enrolled."))
        elif "result" in request.POST:
            enrolment = session_enrolments(actor=actor, session=session).get(
                external_id=request.POST["result"]
            )
            services.enrolment_result_record(
                actor=actor,
                enrolment=enrolment,
                score=request.POST.get("score", ""),
                passed=request.POST.get("passed") == "1",
            )
            messages.success(request, _("Result recorded."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))


@login_required
def session_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    session = session_get_for_actor(actor=actor, external_id=external_id)
    if request.method == "POST":
        _session_post(request, session)
        return redirect(request.path)
    can_manage = has_perm(actor, Permission.MANAGE_TRAINING)
    # The code is shown to those who run or send people to the session, never to the
    # caregivers themselves (who could otherwise check in from anywhere).
    checkin_url = request.build_absolute_uri(
        reverse("workforce:checkin", args=[session.checkin_token])
    )
    staff = roster_list(actor=actor).filter(left_on__isnull=True) if can_manage else None
    return render(
        request,
        "workforce/session.html",
        {
            "session": session,
            "enrolments": session_enrolments(actor=actor, session=session),
            "qr_svg": segno.make(checkin_url, error="m").svg_inline(scale=5) if can_manage else "",
            "checkin_url": checkin_url if can_manage else "",
            "can_manage": can_manage,
            "can_attend": has_perm(actor, Permission.ATTEND_TRAINING),
            "staff": staff[:300] if staff is not None else [],
        },
    )


@login_required
def checkin_view(request: HttpRequest, token: str) -> HttpResponse:
    """What the phone opens after scanning the session's QR code."""
    session = session_by_token(token=token)
    done = None
    if request.method == "POST":
        try:
            done = services.session_check_in(actor=request_actor(request), session=session)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    return render(request, "workforce/checkin.html", {"session": session, "done": done})
