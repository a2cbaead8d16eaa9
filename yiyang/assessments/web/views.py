"""The assessment pages: the lists, and what the other page modules share (history rows,
level names, the trend chart). One assessment's page, its form, its report, the elder's
assessment page and the eligibility rules are in the sibling modules."""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import TextChoices
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from yiyang.assessments import scoring, services
from yiyang.assessments.choices import (
    AssessmentReason,
    AssessmentStatus,
    EntitlementKind,
    EntitlementUnit,
    RequestedVia,
)
from yiyang.assessments.filtersets import AssessmentFilterSet
from yiyang.assessments.selectors import assessment_list, assessments_due, assessor_get
from yiyang.core.permissions import Actor, Permission, has_perm, request_actor
from yiyang.core.selectors import division_filter_choices
from yiyang.core.web.history import history_rows
from yiyang.core.web.lists import clean_filters, code_label, page_of
from yiyang.core.web.saving import action_done
from yiyang.elders.choices import EconomicStatus

FACTS = "facts"


SUMMARY = "summary"


REPORT_STATUSES = (AssessmentStatus.SUBMITTED, AssessmentStatus.FINAL, AssessmentStatus.SUPERSEDED)


HISTORY_LABELS: dict[str, Any] = {
    "status": gettext_lazy("Status"),
    "reason": gettext_lazy("Reason"),
    "requested_via": gettext_lazy("Requested by"),
    "assessor": gettext_lazy("Assessor"),
    "second_assessor": gettext_lazy("Second assessor"),
    "scheduled_at": gettext_lazy("Scheduled for"),
    "place": gettext_lazy("Place"),
    "answered_items": gettext_lazy("Items answered"),
    "answers": gettext_lazy("Answers"),
    "total": gettext_lazy("Total score"),
    "final_level": gettext_lazy("Final level"),
    "valid_until": gettext_lazy("Valid until"),
    "superseded_by": gettext_lazy("Superseded by"),
    "name": gettext_lazy("Name"),
    "entitlement": gettext_lazy("Entitlement"),
    "amount_yuan": gettext_lazy("Amount (yuan)"),
    "unit": gettext_lazy("Unit"),
    "min_level": gettext_lazy("Lowest level"),
    "max_level": gettext_lazy("Highest level"),
    "economic_statuses": gettext_lazy("Economic statuses"),
    "min_age": gettext_lazy("Minimum age"),
    "valid_from": gettext_lazy("Valid from"),
    "valid_to": gettext_lazy("Valid to"),
    "is_active": gettext_lazy("In force"),
}


HISTORY_CHOICES: dict[str, type[TextChoices]] = {
    "status": AssessmentStatus,
    "entitlement": EntitlementKind,
    "unit": EntitlementUnit,
    "requested_via": RequestedVia,
}


PEOPLE_KEYS = ("assessor", "second_assessor")


def _pk(actor: Actor) -> Any:
    return getattr(actor, "pk", None)


def level_names(instrument: Any) -> dict[int, str]:
    """Level number to its name in the instrument's words (Barthel: the configured bands)."""
    definition = instrument.definition
    names = scoring.level_names(definition)
    if not names:
        scheme = definition.get("band_schemes", {}).get(
            services.rules_from_settings().barthel_band_scheme
        )
        names = {int(b["level"]): b["name"] for b in (scheme or {}).get("bands", [])}
    return names


def _history_value(key: str, value: Any, people: dict[str, str]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if key in PEOPLE_KEYS:
        return people.get(str(value), str(value))
    if key == "scheduled_at" and isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        return (
            timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(moment)
            else value
        )
    if key in HISTORY_CHOICES and isinstance(value, str):
        return code_label(HISTORY_CHOICES[key], value)
    if key == "reason" and isinstance(value, str) and value in AssessmentReason.values:
        return code_label(AssessmentReason, value)
    if key == "economic_statuses" and isinstance(value, list):
        return "、".join(code_label(EconomicStatus, v) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _history_rows(events: Any) -> list[dict[str, Any]]:
    """Events with their changes as (label, old, new); assessors are named (history keeps
    their external ids)."""
    events = list(events)
    people: dict[str, str] = {}
    for event in events:
        for key in PEOPLE_KEYS:
            change = (event.changes or {}).get(key)
            for value in change if isinstance(change, list) else [change]:
                if value and str(value) not in people:
                    user = assessor_get(external_id=str(value))
                    people[str(value)] = str(user) if user is not None else str(value)
    return history_rows(
        events, labels=HISTORY_LABELS, value=lambda key, v: _history_value(key, v, people)
    )


@login_required
def assessment_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = clean_filters(request.GET, ignore=("page", "mine"))
    mine = request.GET.get("mine") == "1"
    if mine:
        filters["assessor"] = getattr(request.user, "username", "")
    assessments = assessment_list(actor=actor, filters=filters)
    page = page_of(request, assessments)
    divisions = division_filter_choices(actor=actor)
    names: dict[int, dict[int, str]] = {}
    rows = []
    for assessment in page.object_list:
        if assessment.instrument_id not in names:
            names[assessment.instrument_id] = level_names(assessment.instrument)
        level = assessment.final_level
        rows.append(
            {
                "a": assessment,
                "level": names[assessment.instrument_id].get(level, "")
                if level is not None
                else "",
            }
        )
    return render(
        request,
        "assessments/assessment_list.html",
        {
            "page": page,
            "rows": rows,
            "filterset": AssessmentFilterSet(filters),
            "divisions": divisions,
            "statuses": filters.getlist("status"),
            "mine": mine,
            "is_assessor": has_perm(actor, Permission.CONDUCT_ASSESSMENTS),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def assessment_due_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if request.method == "POST":
        action_done(
            request,
            partial(services.due_assessments_request, actor=actor),
            lambda count: _("%(count)s re-assessments were requested.") % {"count": count},
        )
        return redirect("assessments:due")
    today = timezone.localdate()
    page = page_of(request, assessments_due(actor=actor, today=today))
    rows = [
        {"a": a, "overdue": a.valid_until is not None and a.valid_until < today}
        for a in page.object_list
    ]
    can_request = has_perm(actor, Permission.REQUEST_ASSESSMENTS)
    return render(
        request,
        "assessments/assessment_due.html",
        {"page": page, "rows": rows, "can_request": can_request},
    )


TREND_WIDTH, TREND_LEFT, TREND_TOP, TREND_STEP, TREND_BOTTOM = 520, 170, 16, 36, 34


def trend_chart(
    trend: list[dict[str, Any]], names: dict[int, str], today: datetime.date
) -> dict[str, Any]:
    """The levels over time as an SVG step chart: one horizontal step per final
    assessment, from its date to the next one (the last runs to today)."""
    points = [
        t for t in trend if t.get("finalised_at") is not None and t.get("final_level") is not None
    ]
    levels = [
        {"y": TREND_TOP + n * TREND_STEP, "level": n, "name": names.get(n, str(n))}
        for n in range(5)
    ]
    if not points:
        return {"points": [], "levels": levels, "path": ""}
    days = [timezone.localtime(p["finalised_at"]).date() for p in points]
    start, end = days[0], max(today, days[-1])
    span = max((end - start).days, 1)
    plot = TREND_WIDTH - TREND_LEFT - 16

    def x(day: datetime.date) -> float:
        return round(TREND_LEFT + plot * (day - start).days / span, 1)

    def y(level: int) -> int:
        return TREND_TOP + int(level) * TREND_STEP

    path = []
    marks = []
    for index, (point, day) in enumerate(zip(points, days, strict=True)):
        level = int(point["final_level"])
        until = days[index + 1] if index + 1 < len(points) else end
        path.append(f"V {y(level)}" if index else f"M {x(day)} {y(level)}")
        # The last step runs to the right edge: the level holds until today.
        path.append(f"H {x(until) if index + 1 < len(points) else TREND_LEFT + plot}")
        marks.append(
            {
                "x": x(day),
                "y": y(level),
                "date": day,
                "level": level,
                "name": names.get(level, str(level)),
                "total": point.get("total"),
                "id": point["external_id"],
            }
        )
    return {
        "points": marks,
        "levels": levels,
        "path": " ".join(path),
        "start": start,
        "end": end,
        "end_x": x(end),
    }
