"""Scoped reads of the supervision records. Every page, API call and job reads here."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Actor, Permission, Role, require_perm
from yiyang.supervision.choices import DayKind, RatingStatus
from yiyang.supervision.models import (
    CalendarDay,
    Complaint,
    Inspection,
    Rating,
    RatingScheme,
    Rectification,
)
from yiyang.supervision.scoring import Item, Threshold


def calendar_overrides() -> dict[datetime.date, str]:
    """The city's exceptions to Monday-to-Friday. Unconfirmed days count only when
    SUPERVISION_UNCERTAIN_DAYS is "apply" (default "ignore": a deadline never stretches on
    a holiday nobody has confirmed)."""
    rows = CalendarDay.objects.all()
    if settings.SUPERVISION_UNCERTAIN_DAYS != "apply":
        rows = rows.filter(uncertain=False)
    return {
        day: (DayKind.HOLIDAY.value if kind == DayKind.HOLIDAY else DayKind.WORKDAY.value)
        for day, kind in rows.values_list("date", "kind")
    }


def active_scheme(kind: str) -> RatingScheme | None:
    """The scheme in use for an organisation kind (newest active edition)."""
    for scheme in RatingScheme.objects.filter(is_active=True).order_by("-created_at", "-id"):
        if kind in scheme.organisation_kinds:
            return scheme
    return None


def scheme_rules(
    scheme: RatingScheme,
) -> tuple[list[Item], list[Threshold], dict[str, Decimal]]:
    """A scheme as the pure scorer takes it."""
    items = [
        Item(
            code=i.code, part=i.part, max_points=i.max_points,
            evidence_required=i.evidence_required, cap_level=i.cap_level, cap_below=i.cap_below,
        )  # fmt: skip
        for i in scheme.items.all()
    ]
    thresholds = [
        Threshold(int(t["level"]), Decimal(str(t["min_total"])), Decimal(str(t["min_part_share"])))
        for t in scheme.levels
    ]
    part_max = {p["code"]: Decimal(str(p["max"])) for p in scheme.parts}
    return items, thresholds, part_max


def rating_queryset(*, actor: Actor) -> QuerySet[Rating]:
    """Ratings the actor may see: an evaluator only those assigned to them; everyone else
    by jurisdiction or organisation."""
    require_perm(actor, Permission.VIEW_RATINGS)
    queryset = Rating.objects.select_related("organisation", "scheme", "evaluator")
    if actor.role == Role.EVALUATOR:
        return queryset.filter(evaluator_id=actor.pk) if actor.pk else queryset.none()
    return actor.scope.apply(
        queryset, division_code_field="division_code", organisation_field="organisation_id"
    )


def rating_get_for_actor(*, actor: Actor, external_id: Any) -> Rating:
    return get_or_404(rating_queryset(actor=actor), external_id=external_id)


def rating_list(*, actor: Actor, filters: dict[str, str] | None = None) -> QuerySet[Rating]:
    queryset = rating_queryset(actor=actor)
    filters = filters or {}
    if filters.get("status") in RatingStatus.values:
        queryset = queryset.filter(status=filters["status"])
    return queryset.order_by("-created_at", "-id")


def inspection_queryset(*, actor: Actor) -> QuerySet[Inspection]:
    require_perm(actor, Permission.VIEW_INSPECTIONS)
    return actor.scope.apply(
        Inspection.objects.select_related("organisation"),
        division_code_field="division_code", organisation_field="organisation_id",
    )  # fmt: skip


def rectification_queryset(*, actor: Actor) -> QuerySet[Rectification]:
    require_perm(actor, Permission.VIEW_INSPECTIONS)
    return actor.scope.apply(
        Rectification.objects.select_related("organisation", "finding"),
        division_code_field="division_code", organisation_field="organisation_id",
    )  # fmt: skip


def complaint_queryset(*, actor: Actor) -> QuerySet[Complaint]:
    """The register as the actor may read it: jurisdiction for officers, own organisations
    for providers."""
    require_perm(actor, Permission.VIEW_COMPLAINTS)
    return actor.scope.apply(
        Complaint.objects.select_related("organisation"),
        division_code_field="division_code", organisation_field="organisation_id",
    )  # fmt: skip


def complaint_list(*, actor: Actor, filters: dict[str, str] | None = None) -> QuerySet[Complaint]:
    queryset = complaint_queryset(actor=actor)
    filters = filters or {}
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("escalated"):
        queryset = queryset.filter(escalation__gt=0)
    if filters.get("q"):
        queryset = queryset.filter(Q(number__icontains=filters["q"]) | Q(text__icontains=filters["q"]))
    return queryset


def complaint_get_for_actor(*, actor: Actor, external_id: Any) -> Complaint:
    return get_or_404(complaint_queryset(actor=actor), external_id=external_id)
