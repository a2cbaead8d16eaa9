"""Scoped reads of the supervision records. Every page, API call and job reads here."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import F, Model, Q, QuerySet
from django.http import Http404

from yiyang.core.lookups import get_or_404
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.supervision.choices import DayKind, EvaluationStatus, RatingStatus
from yiyang.supervision.models import (
    CalendarDay,
    Complaint,
    EvidencePhoto,
    Inspection,
    Rating,
    RatingScheme,
    Rectification,
    ServiceEvaluation,
)
from yiyang.supervision.scoring import Item, Threshold
from yiyang.visits.models import Visit

M = TypeVar("M", bound=Model)

# Facility kinds listed on the public page: institutions and community facilities.
PUBLIC_KINDS = (
    "rural_care_home",
    "public_institution",
    "private_institution",
    "street_centre",
    "regional_centre",
    "community_station",
    "day_care_centre",
)


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


def calendar_days(*, actor: Actor, year: int) -> QuerySet[CalendarDay]:
    """The city's calendar exceptions of a year, for anyone who handles deadlines."""
    require_perm(actor, Permission.VIEW_COMPLAINTS)
    return CalendarDay.objects.filter(date__year=year).order_by("date")


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
            code=i.code,
            part=i.part,
            max_points=i.max_points,
            evidence_required=i.evidence_required,
            cap_level=i.cap_level,
            cap_below=i.cap_below,
        )
        for i in scheme.items.all()
    ]
    thresholds = [
        Threshold(int(t["level"]), Decimal(str(t["min_total"])), Decimal(str(t["min_part_share"])))
        for t in scheme.levels
    ]
    part_max = {p["code"]: Decimal(str(p["max"])) for p in scheme.parts}
    return items, thresholds, part_max


def scheme_list(*, actor: Actor) -> QuerySet[RatingScheme]:
    """The rating schemes (the one in use first, then earlier editions), for anyone who
    may see ratings: the scheme is public knowledge inside the platform."""
    require_perm(actor, Permission.VIEW_RATINGS)
    return RatingScheme.objects.prefetch_related("items").order_by(
        "-is_active", "code", "-created_at"
    )


def _assigned_or_in_scope(
    actor: Actor, queryset: QuerySet[M], *, organisation_field: str
) -> QuerySet[M]:
    """The reach of a scored record (a rating, an evaluation): an evaluator only those
    assigned to them; everyone else by jurisdiction or organisation."""
    require_perm(actor, Permission.VIEW_RATINGS)
    return actor.scope.apply(
        queryset,
        division_code_field="division_code",
        organisation_field=organisation_field,
        worker_fields=("evaluator_id",),
    )


def rating_queryset(*, actor: Actor) -> QuerySet[Rating]:
    """Ratings the actor may see: an evaluator only those assigned to them; everyone else
    by jurisdiction or organisation."""
    queryset = Rating.objects.select_related("organisation", "scheme", "evaluator")
    return _assigned_or_in_scope(actor, queryset, organisation_field="organisation_id")


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
        division_code_field="division_code",
        organisation_field="organisation_id",
    )


def inspection_get_for_actor(*, actor: Actor, external_id: Any) -> Inspection:
    """One inspection, for the page and the API alike: 404 outside the actor's reach."""
    return get_or_404(inspection_queryset(actor=actor), external_id=external_id)


def rectification_queryset(*, actor: Actor) -> QuerySet[Rectification]:
    require_perm(actor, Permission.VIEW_INSPECTIONS)
    return actor.scope.apply(
        Rectification.objects.select_related("organisation", "finding"),
        division_code_field="division_code",
        organisation_field="organisation_id",
    )


def rectification_get_for_actor(*, actor: Actor, external_id: Any) -> Rectification:
    return get_or_404(rectification_queryset(actor=actor), external_id=external_id)


def complaint_queryset(*, actor: Actor) -> QuerySet[Complaint]:
    """The register as the actor may read it: jurisdiction for officers, own organisations
    for providers."""
    require_perm(actor, Permission.VIEW_COMPLAINTS)
    return actor.scope.apply(
        Complaint.objects.select_related("organisation", "visit", "caregiver", "meal"),
        division_code_field="division_code",
        organisation_field="organisation_id",
    )


def complaint_list(*, actor: Actor, filters: dict[str, str] | None = None) -> QuerySet[Complaint]:
    queryset = complaint_queryset(actor=actor)
    filters = filters or {}
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("escalated"):
        queryset = queryset.filter(escalation__gt=0)
    if filters.get("q"):
        queryset = queryset.filter(
            Q(number__icontains=filters["q"]) | Q(text__icontains=filters["q"])
        )
    return queryset


def complaint_get_for_actor(*, actor: Actor, external_id: Any) -> Complaint:
    return get_or_404(complaint_queryset(actor=actor), external_id=external_id)


def evidence_photo_get_for_actor(*, actor: Actor, external_id: Any) -> EvidencePhoto:
    """A photo, for whoever may see the rating, inspection or rectification it belongs to
    (an evaluator only those of the ratings assigned to them); otherwise 404, the same as a
    photo that does not exist."""
    photo = get_or_404(
        EvidencePhoto.objects.select_related("item_score__rating", "inspection", "rectification"),
        external_id=external_id,
    )
    if photo.item_score is not None:
        owner: QuerySet[Any] = rating_queryset(actor=actor).filter(pk=photo.item_score.rating_id)
    elif photo.inspection is not None:
        owner = inspection_queryset(actor=actor).filter(pk=photo.inspection.pk)
    elif photo.rectification is not None:
        owner = rectification_queryset(actor=actor).filter(pk=photo.rectification.pk)
    else:  # the check constraint makes this impossible; never serve an orphan
        raise Http404
    if not owner.exists():
        raise Http404
    return photo


def evaluation_queryset(*, actor: Actor) -> QuerySet[ServiceEvaluation]:
    """Evaluations of purchased services: an evaluator only those assigned to them; the
    provider its own; officers their jurisdiction."""
    queryset = ServiceEvaluation.objects.select_related("provider", "template", "evaluator")
    return _assigned_or_in_scope(actor, queryset, organisation_field="provider_id")


def evaluation_get_for_actor(*, actor: Actor, external_id: Any) -> ServiceEvaluation:
    return get_or_404(evaluation_queryset(actor=actor), external_id=external_id)


def evaluation_history(*, actor: Actor, evaluation: ServiceEvaluation) -> list[Any]:
    """The provider's scored evaluations of every year the actor may see, newest first,
    with the change from the year before: the year-to-year comparison."""
    rows = list(
        evaluation_queryset(actor=actor)
        .filter(provider_id=evaluation.provider_id, status=EvaluationStatus.SCORED)
        .order_by("-year")
    )
    changes: list[Decimal | None] = []
    for n, row in enumerate(rows):
        before = rows[n + 1].total if n + 1 < len(rows) else None
        changes.append(row.total - before if row.total is not None and before is not None else None)
    return list(zip(rows, changes, strict=True))


def evaluation_sample_visits(evaluation: ServiceEvaluation) -> dict[str, list[Any]]:
    """The sampled visits of each section, for the evaluator's page (date, service, the
    caregiver; no personal data of the elder): read through the evaluation, which the
    caller has already scoped."""
    ids = [i for ids in evaluation.sample.values() for i in ids]
    visits = {
        str(v.external_id): v
        for v in Visit.objects.filter(external_id__in=ids).select_related("item", "caregiver")
    }
    return {
        code: [visits[i] for i in ids if i in visits] for code, ids in evaluation.sample.items()
    }


# --- The public page -------------------------------------------------------------------------
# Only these fields ever leave the platform through /public/ (page and JSON alike); the
# test walks every value the page renders against them.
PUBLIC_FIELDS = (
    "id",
    "name",
    "kind",
    "district",
    "address",
    "phone",
    "lat",
    "lng",
    "opening_hours",
    "beds",
    "vacancies",
    "price_min",
    "price_max",
    "services",
    "level",
    "level_on",
    "level_until",
    "evaluation_total",
    "level_unverified",
)


def _public_queryset(*, district: str, kind: str, q: str, external_id: str) -> QuerySet[Any]:
    from yiyang.facilities.choices import FacilityStatus
    from yiyang.facilities.models import Facility
    from yiyang.organisations.choices import OrganisationStatus

    queryset = Facility.objects.filter(
        status=FacilityStatus.OPEN,
        kind__in=PUBLIC_KINDS,
        organisation__status=OrganisationStatus.ACTIVE,
    )
    if external_id:
        queryset = queryset.filter(external_id=external_id)
    if district:
        queryset = queryset.filter(prefix_q("division_code", district[:6]))
    if kind in PUBLIC_KINDS:
        queryset = queryset.filter(kind=kind)
    if q:
        queryset = queryset.filter(
            Q(organisation__name__icontains=q) | Q(organisation__address__icontains=q)
        )
    return queryset


def public_facilities(
    *,
    district: str = "",
    kind: str = "",
    q: str = "",
    external_id: str = "",
    offset: int = 0,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Open institutions and community facilities as the public may see them: only
    ``PUBLIC_FIELDS``, the star level only while published and valid."""
    from django.db.models import Max, Min, OuterRef, Subquery
    from django.utils import timezone

    from yiyang.services.models import ServiceOffering

    published = Rating.objects.filter(
        organisation_id=OuterRef("organisation_id"),
        status=RatingStatus.PUBLISHED,
        valid_until__gte=timezone.localdate(),
    ).order_by("-published_on", "-id")
    queryset = _public_queryset(district=district, kind=kind, q=q, external_id=external_id)
    rows = list(
        queryset.annotate(
            level=Subquery(published.values("level")[:1]),
            level_on=Subquery(published.values("published_on")[:1]),
            level_until=Subquery(published.values("valid_until")[:1]),
            evaluation_total=Subquery(published.values("total")[:1]),
            level_unverified=Subquery(published.values("scheme__unverified")[:1]),
        )
        .values(
            "external_id",
            "organisation_id",
            "organisation__name",
            "kind",
            "division_code",
            "organisation__address",
            "organisation__phone",
            "organisation__lat",
            "organisation__lng",
            "opening_hours",
            "beds",
            "organisation__total_beds",
            "organisation__occupied_beds",
            "level",
            "level_on",
            "level_until",
            "evaluation_total",
            "level_unverified",
        )
        # Unrated last on every database (PostgreSQL puts NULLs first when descending).
        .order_by(F("level").desc(nulls_last=True), "organisation__name", "id")[
            offset : offset + limit
        ]
    )
    ids = [r["organisation_id"] for r in rows]
    offers = ServiceOffering.objects.filter(provider_id__in=ids, is_active=True)
    prices = {
        p["provider_id"]: p
        for p in offers.values("provider_id")
        .annotate(low=Min("price"), high=Max("price"))
        .order_by()
    }
    services: dict[int, list[str]] = {}
    for provider_id, name in offers.values_list("provider_id", "item__name").order_by("item__code"):
        services.setdefault(provider_id, []).append(name)
    districts = dict(Division.objects.filter(level="district").values_list("code", "name"))
    return [
        _public_row(
            r,
            prices.get(r["organisation_id"], {}),
            services.get(r["organisation_id"], []),
            districts,
        )
        for r in rows
    ]


def _public_row(
    r: dict[str, Any], price: dict[str, Any], services: list[str], districts: dict[str, str]
) -> dict[str, Any]:
    beds = r["organisation__total_beds"] or r["beds"]
    occupied = r["organisation__occupied_beds"]
    return {
        "id": str(r["external_id"]),
        "name": r["organisation__name"],
        "kind": r["kind"],
        "district": districts.get(r["division_code"][:6] + "000000", ""),
        "address": r["organisation__address"],
        "phone": r["organisation__phone"],
        "lat": r["organisation__lat"],
        "lng": r["organisation__lng"],
        "opening_hours": r["opening_hours"],
        "beds": beds,
        "vacancies": beds - occupied if beds is not None and occupied is not None else None,
        "price_min": price.get("low"),
        "price_max": price.get("high"),
        "services": services,
        "level": r["level"],
        "level_on": r["level_on"],
        "level_until": r["level_until"],
        "evaluation_total": r["evaluation_total"],
        "level_unverified": bool(r["level_unverified"]),
    }
