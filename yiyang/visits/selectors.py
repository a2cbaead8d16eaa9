"""Reads of orders and visits, each scoped to what the actor's role and jurisdiction allow:
a caregiver sees only their own visits, a family member only their elder's (and only with
the elder's consent), a provider only its own orders, officers their divisions."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.services.choices import CaregiverStatus
from yiyang.services.models import Caregiver
from yiyang.visits.choices import DONE_STATUSES, OPEN_STATUSES, ReviewStatus, VisitStatus
from yiyang.visits.dispatch_facts import (
    assignment_problems,
)
from yiyang.visits.models import Order, Visit, VisitPhoto
from yiyang.visits.rules import distance_m

# The fields of a visit that name the caregivers it is assigned to (their user ids).
VISIT_WORKER_FIELDS = ("caregiver__user_id", "second_caregiver__user_id")


def _get(queryset: QuerySet[Any], external_id: uuid.UUID | str) -> Any:
    return get_or_404(queryset, external_id=external_id)


def _scoped(
    actor: Actor, queryset: QuerySet[Any], *, worker_fields: tuple[str, ...] = ()
) -> QuerySet[Any]:
    """Visits and orders in reach: by place, linked elder, or (a caregiver) the visits
    assigned to them; an order is no caregiver's work."""
    return actor.scope.apply(
        queryset,
        division_code_field="division_code",
        organisation_field="provider_id",
        elder_field="elder_id",
        worker_fields=worker_fields,
    )


def visit_queryset(*, actor: Actor) -> QuerySet[Visit]:
    """Every visit the actor may see (no filters)."""
    require_perm(actor, Permission.VIEW_VISITS)
    return _scoped(actor, Visit.objects.all(), worker_fields=VISIT_WORKER_FIELDS)


def visit_list(*, actor: Actor, filters: Any = None) -> QuerySet[Visit]:
    from yiyang.visits.filtersets import VisitFilterSet

    visits = visit_queryset(actor=actor).select_related(
        "elder", "item", "provider", "caregiver", "second_caregiver"
    )
    return VisitFilterSet(filters or {}, queryset=visits).qs


def visit_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Visit:
    """One visit the actor may see, or 404 (a caregiver asking for someone else's visit
    gets 404, not 403: its existence is not theirs to know)."""
    visits = visit_queryset(actor=actor).select_related(
        "elder", "elder__community", "item", "provider", "caregiver", "second_caregiver", "order"
    )
    return _get(visits, external_id)


def order_queryset(*, actor: Actor) -> QuerySet[Order]:
    require_perm(actor, Permission.VIEW_VISITS)
    return _scoped(actor, Order.objects.all())


def order_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Order]:
    orders = order_queryset(actor=actor).select_related("elder", "item", "provider")
    filters = filters or {}
    if filters.get("status"):
        orders = orders.filter(status=filters["status"])
    if filters.get("elder"):
        orders = orders.filter(elder__external_id=filters["elder"])
    return orders


def order_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Order:
    return _get(
        order_queryset(actor=actor).select_related("elder", "item", "provider"), external_id
    )


def elder_care(*, actor: Actor, elder: Any) -> dict[str, Any]:
    """An elder's care plans and visit history, as the elder page shows them."""
    orders = order_queryset(actor=actor).filter(elder=elder).select_related("item", "provider")
    visits = (
        visit_queryset(actor=actor)
        .filter(elder=elder)
        .select_related("item", "caregiver", "second_caregiver", "provider")
        .order_by("-window_start")
    )
    today = timezone.localdate()
    return {
        "orders": list(orders[:50]),
        "upcoming": list(
            visits.filter(date__gte=today, status__in=OPEN_STATUSES).order_by("window_start")[:20]
        ),
        "past": list(visits.filter(date__lte=today).exclude(status__in=OPEN_STATUSES)[:50]),
    }


def caregiver_day(*, actor: Actor, day: datetime.date) -> list[Visit]:
    """A caregiver's visits of one day in order (their phone's home page)."""
    require_perm(actor, Permission.PERFORM_VISITS)
    return list(
        visit_queryset(actor=actor)
        .filter(date=day)
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("elder", "item", "caregiver", "second_caregiver")
        .order_by("window_start", "id")
    )


@dataclass
class Board:
    """A provider's dispatch board for one day."""

    day: datetime.date
    rows: list[tuple[Caregiver, list[Visit]]] = field(default_factory=list)
    unassigned: list[Visit] = field(default_factory=list)
    late: list[Visit] = field(default_factory=list)
    missed: list[Visit] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def dispatch_board(*, actor: Actor, provider: Any, day: datetime.date) -> Board:
    """Visits of one provider for one day, by caregiver, with the unassigned, late and
    missed ones apart. Two queries whatever the size of the day."""
    require_perm(actor, Permission.DISPATCH_VISITS)
    if provider.pk not in (actor.scope.organisation_ids or ()):
        raise Http404
    visits = list(
        Visit.objects.filter(provider=provider, date=day)
        .select_related("elder", "item")
        .only(
            "external_id",
            "date",
            "window_start",
            "window_end",
            "status",
            "is_late",
            "planned_start",
            "elder__lat",
            "elder__lng",
            "provider_id",
            "review_status",
            "needs_two",
            "caregiver_id",
            "second_caregiver_id",
            "check_in_at",
            "check_out_at",
            "standard_minutes",
            "elder__name",
            "elder__address",
            "elder__external_id",
            "item__name",
            "item__code",
            "item__two_caregivers",
        )
        .order_by("window_start", "id")
    )
    caregivers = list(
        Caregiver.objects.filter(provider=provider)
        .filter(
            Q(status=CaregiverStatus.ACTIVE)
            | Q(id__in={c for v in visits for c in (v.caregiver_id, v.second_caregiver_id) if c})
        )
        .only(
            "external_id",
            "name",
            "phone_masked",
            "work_start",
            "work_end",
            "work_days",
            "status",
            "skills",
            "max_minutes_per_day",
            "travel_mode",
            "provider_id",
        )
    )
    board = Board(day=day)
    by_id: dict[int, list[Visit]] = {c.pk: [] for c in caregivers}
    for visit in visits:
        for cid in (visit.caregiver_id, visit.second_caregiver_id):
            if cid in by_id:
                by_id[cid].append(visit)
        if visit.status == VisitStatus.CANCELLED:
            continue
        if visit.caregiver_id is None or (visit.needs_two and visit.second_caregiver_id is None):
            board.unassigned.append(visit)
        if visit.status == VisitStatus.MISSED:
            board.missed.append(visit)
        elif visit.is_late and visit.check_in_at is None:
            board.late.append(visit)
    board.rows = [(c, by_id[c.pk]) for c in caregivers]
    board.counts = {
        "total": sum(v.status != VisitStatus.CANCELLED for v in visits),
        "done": sum(v.status in DONE_STATUSES for v in visits),
        "unassigned": len(board.unassigned),
        "late": len(board.late),
        "missed": len(board.missed),
        "flagged": sum(v.review_status == ReviewStatus.PENDING for v in visits),
    }
    return board


def review_queue(*, actor: Actor) -> QuerySet[Visit]:
    """Flagged visits awaiting a decision, oldest first."""
    require_perm(actor, Permission.REVIEW_VISITS)
    return (
        visit_queryset(actor=actor)
        .filter(review_status=ReviewStatus.PENDING)
        .select_related("elder", "item", "provider", "caregiver")
        .prefetch_related("flags")
        .order_by("date", "window_start", "id")
    )


def visit_photo_get(*, actor: Actor, visit: Visit, external_id: uuid.UUID | str) -> VisitPhoto:
    return _get(VisitPhoto.objects.filter(visit=visit), external_id)


# --- dispatch: who may take a visit, and who the platform suggests -------------------------


@dataclass
class Candidate:
    caregiver: Caregiver
    problems: list[tuple[str, str]]
    distance_m: float | None
    served_before: int
    minutes_that_day: int

    @property
    def ok(self) -> bool:
        return not self.problems


def dispatch_candidates(*, actor: Actor, visit: Visit) -> list[Candidate]:
    """Every caregiver of the provider, qualified and free ones first, ranked by the one who
    served the elder before, then by distance from their home base to the elder."""
    require_perm(actor, Permission.DISPATCH_VISITS)
    if visit.provider_id not in (actor.scope.organisation_ids or ()):
        raise Http404
    caregivers = list(Caregiver.objects.filter(provider_id=visit.provider_id))
    problems = assignment_problems(visit, caregivers)
    served: dict[int, int] = {}
    for field_name in ("caregiver_id", "second_caregiver_id"):
        rows = (
            Visit.objects.filter(elder_id=visit.elder_id, status__in=DONE_STATUSES)
            .exclude(**{f"{field_name}__isnull": True})
            .values_list(field_name)
            .annotate(n=Count("id"))
            .values_list(field_name, "n")
        )
        for cid, n in rows:
            served[cid] = served.get(cid, 0) + n
    elder = visit.elder
    candidates = []
    for caregiver in caregivers:
        dist = None
        points = (caregiver.home_lat, caregiver.home_lng, elder.lat, elder.lng)
        if all(p is not None for p in points):
            dist = distance_m(*(float(p) for p in points))  # type: ignore[arg-type]
        candidates.append(
            Candidate(caregiver, problems[caregiver.pk], dist, served.get(caregiver.pk, 0), 0)
        )
    candidates.sort(
        key=lambda c: (
            not c.ok,
            -min(c.served_before, 1),
            c.distance_m if c.distance_m is not None else 1e12,
            c.caregiver.name,
        )
    )
    return candidates


def late_threshold() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.VISIT_LATE_AFTER_MINUTES)


# --- pages: reads the server-rendered pages need -------------------------------------------


def visit_get_for_page(*, actor: Actor, external_id: uuid.UUID | str) -> Visit:
    """One visit the actor may see, with its flags and photos (the visit's page)."""
    visits = (
        visit_queryset(actor=actor)
        .select_related("elder", "item", "provider", "caregiver", "second_caregiver", "order")
        .prefetch_related("flags", "photos")
    )
    return _get(visits, external_id)


def _history_text(kind: str, detail: dict[str, Any]) -> str:
    def local(value: str | None) -> str:
        if not value:
            return "—"
        return timezone.localtime(datetime.datetime.fromisoformat(value)).strftime("%H:%M")

    if kind == "corrected":
        before, after = detail.get("before") or [None, None], detail.get("after") or [None, None]
        return _("%(before)s → %(after)s; attested; reason: %(reason)s") % {
            "before": f"{local(before[0])}–{local(before[1])}",
            "after": f"{local(after[0])}–{local(after[1])}",
            "reason": detail.get("reason", ""),
        }
    if kind == "cancelled":
        return str(detail.get("reason", ""))
    if kind == "assigned":
        return "、".join(str(n) for n in detail.get("caregivers", []))
    if kind in ("check_in", "check_out") and detail.get("distance") is not None:
        return _("%(metres)d m from the address") % {"metres": round(detail["distance"])}
    return ""


def visit_history(*, actor: Actor, visit: Visit) -> list[dict[str, Any]]:
    """What happened to a visit, oldest first: who did what and when, corrections with the
    times before and after. ``visit`` has been fetched for ``actor`` (so in scope)."""
    labels = {
        "assigned": _("Assigned"),
        "on_the_way": _("Set off"),
        "check_in": _("Checked in"),
        "check_out": _("Checked out"),
        "corrected": _("Corrected"),
        "cancelled": _("Cancelled"),
        "photo": _("Photo added"),
    }
    return [
        {
            "at": event.at,
            "kind": event.kind,
            "label": labels.get(event.kind, event.kind),
            "who": event.actor_username,
            "text": _history_text(event.kind, event.detail or {}),
        }
        for event in visit.events.order_by("at", "id")
    ]


def visit_caregivers_get(
    *, actor: Actor, visit: Visit, external_ids: list[str]
) -> list[Caregiver] | None:
    """The visit's provider's caregivers with these ids, in the order given; None when one of
    them is not the provider's (an assign form posted with a stranger)."""
    require_perm(actor, Permission.DISPATCH_VISITS)
    found = {
        str(c.external_id): c
        for c in Caregiver.objects.filter(provider_id=visit.provider_id).filter(
            external_id__in=[i for i in external_ids if is_uuid(i)]
        )
    }
    if any(str(i) not in found for i in external_ids):
        return None
    return [found[str(i)] for i in external_ids]


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def visit_minutes(visit: Visit) -> int | None:
    if visit.check_in_at is None or visit.check_out_at is None:
        return None
    return int((visit.check_out_at - visit.check_in_at).total_seconds() // 60)


@dataclass
class FamilyElder:
    """One elder a family login is linked to: with the care shown only under consent."""

    elder: Any
    relation: str
    consent: bool
    upcoming: list[Visit] = field(default_factory=list)
    past: list[dict[str, Any]] = field(default_factory=list)


def family_care(*, actor: Actor, today: datetime.date | None = None) -> list[FamilyElder]:
    """The family page: every elder linked to the login; for those with the elder's
    family-view consent in force, the upcoming and past visits (who came, how long, what was
    done) and whether each past one may still be rated."""
    from yiyang.elders.selectors import family_links

    require_perm(actor, Permission.VIEW_VISITS)
    today = today or timezone.localdate()
    allowed = actor.scope.elder_ids or frozenset()
    result = []
    for link in family_links(user=actor).order_by("id"):
        entry = FamilyElder(
            elder=link.elder,
            relation=link.get_relation_display(),
            consent=link.elder_id in allowed,
        )
        if entry.consent:
            visits = Visit.objects.filter(elder_id=link.elder_id).select_related(
                "item", "caregiver", "second_caregiver", "provider", "rating"
            )
            entry.upcoming = list(
                visits.filter(date__gte=today, status__in=OPEN_STATUSES).order_by(
                    "window_start", "id"
                )[:20]
            )
            for visit in (
                visits.filter(date__lte=today)
                .exclude(status__in=OPEN_STATUSES)
                .order_by("-window_start", "-id")[:30]
            ):
                rating = getattr(visit, "rating", None)  # none yet: RelatedObjectDoesNotExist
                entry.past.append(
                    {
                        "visit": visit,
                        "minutes": visit_minutes(visit),
                        "rating": rating,
                        "can_rate": rating is None
                        and visit.status in DONE_STATUSES
                        and visit.outcome in ("", "done"),
                        "can_complain": visit.status != VisitStatus.CANCELLED,
                    }
                )
        result.append(entry)
    return result


def order_form_choices(*, actor: Actor, elder: Any) -> dict[str, QuerySet[Any]]:
    """What the order form offers for an elder: the providers whose areas cover the elder's
    community (a provider manager only their own) and the city's active service items."""
    from yiyang.organisations.models import Organisation
    from yiyang.services.models import ServiceItem
    from yiyang.services.selectors import provider_ids_serving

    require_perm(actor, Permission.PLACE_ORDERS)
    ids = set(provider_ids_serving(division_code=elder.division_code))
    if actor.scope.organisation_ids is not None:  # bound to providers: only theirs
        ids &= actor.scope.organisation_ids
    providers = Organisation.objects.filter(id__in=sorted(ids)).order_by("name")
    items = ServiceItem.objects.filter(
        is_active=True, city__code=elder.division_code[:4].ljust(12, "0")
    ).order_by("code")
    return {"providers": providers, "items": items}


def order_elder_get(*, actor: Actor, external_id: uuid.UUID | str) -> Any:
    """The elder an order is for, or 404 — the one rule for the order page and the API.

    A family member orders for a linked elder with consent in force (on the elder's behalf);
    a provider manager for an elder living in an area one of their providers serves (an elder
    who calls the provider directly); everyone else for an elder in their jurisdiction."""
    from yiyang.elders.models import Elder
    from yiyang.elders.selectors import elder_get_for_actor

    require_perm(actor, Permission.PLACE_ORDERS)
    if actor.scope.elder_ids is not None:  # a family member: their linked elders
        return _get(Elder.objects.filter(id__in=sorted(actor.scope.elder_ids)), external_id)
    if actor.scope.organisation_ids is not None:  # a provider: where it serves
        served = actor.scope.served_q("division_code")
        if served is None:
            raise Http404("elder")
        return _get(Elder.objects.filter(served), external_id)
    return elder_get_for_actor(actor=actor, external_id=external_id)


def order_provider_queryset(*, actor: Actor) -> QuerySet[Any]:
    """Providers an order may name: any active one (the service checks its area and offer);
    a provider manager only their own."""
    from yiyang.organisations.models import Organisation
    from yiyang.services.selectors import provider_queryset

    if actor.scope.organisation_ids is not None:
        return provider_queryset(actor=actor)
    return Organisation.objects.filter(status="active")


def order_visits(*, actor: Actor, order: Order, limit: int = 200) -> list[Visit]:
    """The visits of an order the actor may see (the order's page), first to last."""
    return list(
        visit_queryset(actor=actor)
        .filter(order=order)
        .select_related("item", "caregiver", "second_caregiver")
        .order_by("window_start", "id")[:limit]
    )
