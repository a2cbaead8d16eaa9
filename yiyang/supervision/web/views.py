"""Supervision pages: star ratings (the evaluator's tablet scoring page among them), the
complaint register and safety inspections. Each view parses, calls one selector or
service, and renders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiyang.accounts.models import User
from yiyang.core.choices import DivisionLevel
from yiyang.core.lookups import get_or_404
from yiyang.core.models import Division
from yiyang.core.permissions import Permission, Role, has_perm, request_actor
from yiyang.core.web.lists import list_response
from yiyang.core.web.saving import action_done
from yiyang.organisations.selectors import organisation_get_for_actor, organisation_list
from yiyang.services.models import Caregiver
from yiyang.supervision import selectors, services
from yiyang.supervision.choices import (
    OPEN_COMPLAINT_STATUSES,
    ComplaintCategory,
    ComplaintChannel,
    InspectionStatus,
    RatingStatus,
    Severity,
)
from yiyang.supervision.models import ChecklistTemplate
from yiyang.visits.selectors import visit_get_for_actor


def _errors(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(" ".join(m) for m in error.message_dict.values())
    return "; ".join(error.messages)


def _run(request: HttpRequest, call: Any, success: str) -> bool:
    """A button of these pages: done, or the refusal in words, field by field."""
    return action_done(request, call, success, wording=_errors)


def _posted_organisation(request: HttpRequest) -> tuple[Any, Any]:
    """The actor and the organisation a form names, looked up in the actor's scope (404)."""
    actor = request_actor(request)
    external_id = request.POST.get("organisation", "")
    return actor, organisation_get_for_actor(actor=actor, external_id=external_id)


@login_required
def rating_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ratings = selectors.rating_list(actor=actor, filters={"status": request.GET.get("status", "")})
    institutions = (
        organisation_list(actor=actor).filter(kind="care_institution")
        if has_perm(actor, Permission.APPLY_RATINGS)
        else []
    )
    return list_response(
        request,
        "supervision/rating_list.html",
        ratings,
        {
            "statuses": RatingStatus.choices,
            "institutions": institutions,
            "levels": range(1, 6),
        },
    )


@require_POST
@login_required
def rating_apply_view(request: HttpRequest) -> HttpResponse:
    actor, organisation = _posted_organisation(request)
    _run(
        request,
        lambda: services.rating_apply(
            actor=actor,
            organisation=organisation,
            applied_level=request.POST.get("level"),
        ),
        _("The application is submitted."),
    )
    return redirect("supervision:ratings")


def _evaluators(rating: Any) -> list[User]:
    return [
        u
        for u in User.objects.filter(role=Role.EVALUATOR, is_active=True)
        .select_related("division")
        .order_by("username")
        if u.division is not None and rating.division_code.startswith(u.division.code_prefix)
    ]


@login_required
def rating_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    rating = selectors.rating_get_for_actor(actor=actor, external_id=external_id)
    result = services.rating_result(rating)
    items = list(rating.scheme.items.all())
    scores = {s.item_id: s for s in rating.scores.prefetch_related("photo_files")}
    return render(
        request,
        "supervision/rating_detail.html",
        {
            "rating": rating,
            "result": result,
            "next": services.rating_actions(rating),
            "rows": [(i, scores.get(i.pk)) for i in items],
            "events": rating.events.all(),
            "evaluators": _evaluators(rating)
            if has_perm(actor, Permission.ASSIGN_EVALUATORS)
            else [],
            "can": {
                p: has_perm(actor, getattr(Permission, p))
                for p in ("ASSIGN_EVALUATORS", "REVIEW_RATINGS", "PUBLISH_RATINGS", "SCORE_RATINGS")
            },
        },
    )


@require_POST
@login_required
def rating_step_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    rating = selectors.rating_get_for_actor(actor=actor, external_id=external_id)
    step = request.POST.get("step")
    if step == "assign":
        evaluator = get_or_404(
            User.objects.filter(role=Role.EVALUATOR), external_id=request.POST.get("evaluator")
        )
        _run(
            request,
            lambda: services.rating_assign(actor=actor, rating=rating, evaluator=evaluator),
            _("Assigned."),
        )
    elif step in ("approve", "return"):
        _run(
            request,
            lambda: services.rating_review(
                actor=actor,
                rating=rating,
                approve=step == "approve",
                note=request.POST.get("note", ""),
            ),
            _("Reviewed."),
        )
    elif step == "publish":
        _run(
            request,
            lambda: services.rating_publish(actor=actor, rating=rating),
            _("The level is published."),
        )
    elif step in ("lower", "suspend"):
        level = request.POST.get("level") if step == "lower" else None
        _run(
            request,
            lambda: services.rating_change_level(
                actor=actor,
                rating=rating,
                reason=request.POST.get("reason", ""),
                level=int(level) if level and level.isdigit() else (0 if step == "lower" else None),
            ),
            _("The level is changed."),
        )
    return redirect("supervision:rating", external_id=rating.external_id)


@login_required
def rating_score_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The evaluator's scoring page, sized for a tablet: one item per row, points, a note
    and photos; the running total is computed by the platform on each save."""
    actor = request_actor(request)
    rating = selectors.rating_get_for_actor(actor=actor, external_id=external_id)
    items = list(rating.scheme.items.all())
    if request.method == "POST":
        entries: dict[str, dict[str, object]] = {}
        for item in items:
            points = request.POST.get(f"points_{item.code}", "").strip()
            photos = request.FILES.getlist(f"photos_{item.code}")
            if points == "" and not photos:
                continue  # not scored yet (photos without points: refused, not lost quietly)
            entries[item.code] = {
                "points": points,
                "note": request.POST.get(f"note_{item.code}", ""),
                "photos": [f.read() for f in photos],
            }
        saved = _run(
            request,
            lambda: services.rating_score(actor=actor, rating=rating, scores=entries),
            _("Scores saved."),
        )
        if saved and request.POST.get("finish"):
            _run(
                request,
                lambda: services.rating_finish_scoring(actor=actor, rating=rating),
                _("Scoring is finished and sent for review."),
            )
        return redirect("supervision:rating-score", external_id=rating.external_id)
    scores = {s.item_id: s for s in rating.scores.prefetch_related("photo_files")}
    parts = {p["code"]: p["name"] for p in rating.scheme.parts}
    return render(
        request,
        "supervision/rating_score.html",
        {
            "rating": rating,
            "result": services.rating_result(rating),
            "parts": parts,
            "rows": [(i, parts.get(i.part, i.part), scores.get(i.pk)) for i in items],
        },
    )


@login_required
def complaint_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = {k: request.GET.get(k, "") for k in ("status", "escalated", "q")}
    can_register = has_perm(actor, Permission.REGISTER_COMPLAINTS)
    return list_response(
        request,
        "supervision/complaint_list.html",
        selectors.complaint_list(actor=actor, filters=filters),
        {
            "filters": filters,
            "can_register": can_register,
            "organisations": organisation_list(actor=actor).exclude(
                kind__in=["civil_affairs_bureau", "street_office", "community_committee"]
            )
            if can_register
            else [],
            "channels": [
                c for c in ComplaintChannel.choices if c[0] != ComplaintChannel.FAMILY_PAGE
            ],
            "categories": ComplaintCategory.choices,
        },
    )


@require_POST
@login_required
def complaint_register_view(request: HttpRequest) -> HttpResponse:
    actor, organisation = _posted_organisation(request)
    caregiver_id, problem = _caregiver_named(organisation, request.POST.get("caregiver", ""))
    if problem:
        messages.error(request, problem)
        return redirect("supervision:complaints")
    _run(
        request,
        lambda: services.complaint_register(
            actor=actor,
            organisation=organisation,
            channel=request.POST.get("channel", ""),
            category=request.POST.get("category", ""),
            text=request.POST.get("text", ""),
            work_order=request.POST.get("work_order", ""),
            caregiver_id=caregiver_id,
        ),
        _("The complaint is registered."),
    )
    return redirect("supervision:complaints")


def _caregiver_named(organisation: Any, name: str) -> tuple[Any, str]:
    """The caregiver a phone or walk-in complaint names (optional): one of the
    organisation's caregivers by name. Returns (public id or None, problem or "")."""
    name = name.strip()
    if not name or organisation is None:
        return None, ""
    found = list(
        Caregiver.objects.filter(provider=organisation, name=name).values_list(
            "external_id", flat=True
        )[:2]
    )
    if len(found) == 1:
        return found[0], ""
    if not found:
        return None, _("%(org)s has no caregiver named %(name)s.") % {
            "org": organisation.name,
            "name": name,
        }
    return None, _(
        "%(org)s has several caregivers named %(name)s: register the complaint without one "
        "and say which in the text."
    ) % {"org": organisation.name, "name": name}


@login_required
def complaint_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    complaint = selectors.complaint_get_for_actor(actor=actor, external_id=external_id)
    if request.method == "POST":
        step, text = request.POST.get("step"), request.POST.get("text", "")
        calls = {
            "acknowledge": lambda: services.complaint_acknowledge(actor=actor, complaint=complaint),
            "answer": lambda: services.complaint_answer(
                actor=actor, complaint=complaint, answer=text
            ),
            "close": lambda: services.complaint_close(
                actor=actor,
                complaint=complaint,
                satisfied={"yes": True, "no": False}.get(request.POST.get("satisfied", "")),
            ),
            "reopen": lambda: services.complaint_reopen(
                actor=actor, complaint=complaint, reason=text
            ),
            "assign": lambda: services.complaint_assign(
                actor=actor,
                complaint=complaint,
                assignee=request.POST.get("assignee", ""),
                note=text,
            ),
        }
        if step in calls:
            _run(request, calls[step], _("Saved."))
        return redirect("supervision:complaint", external_id=complaint.external_id)
    return render(
        request,
        "supervision/complaint_detail.html",
        {
            "complaint": complaint,
            "events": complaint.events.all(),
            "next": services.complaint_actions(complaint),
            "can_handle": has_perm(actor, Permission.HANDLE_COMPLAINTS),
            "assignees": (
                services.complaint_assignees(complaint)
                if has_perm(actor, Permission.HANDLE_COMPLAINTS)
                and complaint.status in OPEN_COMPLAINT_STATUSES
                else []
            ),
        },
    )


@login_required
def inspection_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    inspections = (
        selectors.inspection_queryset(actor=actor)
        .prefetch_related("photo_files")
        .order_by("due_on", "id")
    )
    status = request.GET.get("status", "")
    if status in InspectionStatus.values:
        inspections = inspections.filter(status=status)
    districts = []
    if has_perm(actor, Permission.PLAN_INSPECTIONS):
        districts = [
            d
            for d in Division.objects.filter(level=DivisionLevel.DISTRICT)
            if actor.scope.covers_division_code(d.code)
        ]
    return list_response(
        request,
        "supervision/inspection_list.html",
        inspections,
        {
            "statuses": InspectionStatus.choices,
            "districts": districts,
            "rectifications": selectors.rectification_queryset(actor=actor)
            .exclude(status="closed")
            .prefetch_related("photo_files")[:100],
            "can_inspect": has_perm(actor, Permission.INSPECT),
            "can_respond": has_perm(actor, Permission.RESPOND_RECTIFICATIONS),
        },
    )


@require_POST
@login_required
def inspection_plan_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    district = get_or_404(
        Division.objects.filter(level=DivisionLevel.DISTRICT),
        external_id=request.POST.get("district"),
    )
    year = request.POST.get("year", "")
    _run(
        request,
        lambda: services.inspection_plan_generate(
            actor=actor,
            district=district,
            year=int(year) if year.isdigit() else 0,
        ),
        _("The plan is up to date."),
    )
    return redirect("supervision:inspections")


@login_required
def inspection_record_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The on-site form (tablet): checklist, a finding, location and photos."""
    actor = request_actor(request)
    inspection = selectors.inspection_get_for_actor(actor=actor, external_id=external_id)
    checklist = ChecklistTemplate.objects.filter(kind=inspection.kind, is_active=True).first()
    items = checklist.items if checklist else []
    if request.method == "POST":
        answers = {
            i["code"]: request.POST.get(f"item_{i['code']}") == "yes"
            for i in items
            if request.POST.get(f"item_{i['code']}") in ("yes", "no")
        }
        findings = []
        if request.POST.get("finding", "").strip():
            findings.append(
                {"severity": request.POST.get("severity", ""), "text": request.POST["finding"]}
            )
        if _run(
            request,
            lambda: services.inspection_record(
                actor=actor,
                inspection=inspection,
                answers=answers,
                findings=findings,
                lat=request.POST.get("lat") or None,
                lng=request.POST.get("lng") or None,
                photos=[f.read() for f in request.FILES.getlist("photos")],
            ),
            _("The inspection is recorded."),
        ):
            return redirect("supervision:inspections")
    return render(
        request,
        "supervision/inspection_record.html",
        {
            "inspection": inspection,
            "items": items,
            "severities": Severity.choices,
        },
    )


@require_POST
@login_required
def rectification_step_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    order = get_or_404(selectors.rectification_queryset(actor=actor), external_id=external_id)
    if request.POST.get("step") == "respond":
        _run(
            request,
            lambda: services.rectification_respond(
                actor=actor,
                rectification=order,
                response=request.POST.get("response", ""),
                evidence=[f.read() for f in request.FILES.getlist("evidence")],
            ),
            _("Response sent."),
        )
    elif request.POST.get("step") == "return":
        _run(
            request,
            lambda: services.rectification_return(
                actor=actor, rectification=order, reason=request.POST.get("reason", "")
            ),
            _("Sent back to the provider: not put right."),
        )
    else:
        _run(
            request,
            lambda: services.rectification_close(actor=actor, rectification=order),
            _("Closed."),
        )
    return redirect("supervision:inspections")


@login_required
@require_GET
def evidence_photo_view(request: HttpRequest, external_id: str) -> FileResponse:
    """An evidence photo, to those who may see its rating, inspection or rectification."""
    photo = selectors.evidence_photo_get_for_actor(
        actor=request_actor(request), external_id=external_id
    )
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def scheme_list_view(request: HttpRequest) -> HttpResponse:
    """The rating schemes as the city has configured them (parts, items and their points,
    evidence, capping items, level thresholds, sources); the city loads its own here."""
    actor = request_actor(request)
    if request.method == "POST":
        upload = request.FILES.get("scheme")
        _run(
            request,
            lambda: services.rating_scheme_upload(
                actor=actor, data=upload.read() if upload else b""
            ),
            _("The scheme is loaded and used for new applications."),
        )
        return redirect("supervision:schemes")
    schemes = []
    for scheme in selectors.scheme_list(actor=actor):
        names = {p["code"]: p["name"] for p in scheme.parts}
        levels = [
            {**t, "share": Decimal(str(t["min_part_share"])) * 100}
            for t in sorted(scheme.levels, key=lambda t: int(t["level"]))
        ]
        items = [(names.get(i.part, i.part), i) for i in scheme.items.all()]
        schemes.append({"scheme": scheme, "levels": levels, "items": items})
    return render(
        request,
        "supervision/schemes.html",
        {"schemes": schemes, "can_load": has_perm(actor, Permission.PUBLISH_RATINGS)},
    )


@require_POST
@login_required
def family_complain_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """A family member's complaint about a visit, from the family page, into the register."""
    actor = request_actor(request)
    visit = visit_get_for_actor(actor=actor, external_id=external_id)
    _run(
        request,
        lambda: services.complaint_from_family(
            actor=actor, visit=visit, text=request.POST.get("text", "")
        ),
        _("Your complaint is in the city's complaint register; the provider will answer it."),
    )
    return redirect("family:home")
