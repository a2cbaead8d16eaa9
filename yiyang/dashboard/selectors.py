"""Reads for the dashboard, the command-centre screen, the maps' basemap and the home pages.

Everything is scoped to the actor through the other apps' selectors (or the same scope
conditions on their models); this app writes nothing.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.alerts.choices import ACTIVE_STATUSES, AlertKind, AlertStatus, Outcome, Priority
from yiyang.alerts.selectors import alert_scoped
from yiyang.core import display
from yiyang.core.choices import DivisionLevel
from yiyang.core.models import Division, DivisionBoundary, MapRoad
from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.core.scoping import prefix_q
from yiyang.elders.choices import AbilityLevel, ElderStatus, Sex
from yiyang.elders.models import Elder
from yiyang.organisations.models import Organisation
from yiyang.services.choices import ServiceCategory
from yiyang.visits.choices import DONE_STATUSES, OPEN_STATUSES, VisitStatus
from yiyang.visits.models import Visit

LEVELS = [DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET, DivisionLevel.COMMUNITY]


# --------------------------------------------------------------------------------------
# Map geometry


def basemap_prefixes(*, actor: Actor) -> list[str]:
    """The division subtrees whose outlines the actor's maps draw: their jurisdiction, or,
    for an organisation-scoped login (providers, caregivers), the cities their
    organisations work in. Nobody else's data is in an outline, but the same scope holds."""
    prefix = actor.scope.division_prefix
    if prefix is not None:
        return [prefix]
    ids = actor.scope.organisation_ids
    if not ids:
        return []
    codes = Organisation.objects.filter(pk__in=sorted(ids)).values_list("division__code", flat=True)
    return sorted({code[:4] for code in codes if code})


def _prefix_filter(field_name: str, prefixes: list[str]) -> Q:
    condition = Q(pk__in=[])
    for prefix in prefixes:
        condition |= prefix_q(field_name, prefix)
    return condition


def _boundary_feature(boundary: Any, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": boundary.geometry,
        "properties": {
            "kind": "boundary",
            "level": boundary.level,
            "code": boundary.division_code,
            "name": boundary.division.name,
            "id": str(boundary.division.external_id),
            **extra,
        },
    }


def basemap_features(*, actor: Actor, levels: list[str] | None = None) -> dict[str, Any]:
    """The vector basemap in the actor's scope: division outlines (every level, or those
    asked for) and the roads of the cities concerned, as one GeoJSON FeatureCollection."""
    prefixes = basemap_prefixes(actor=actor)
    if not prefixes:
        return {"type": "FeatureCollection", "features": []}
    boundaries = DivisionBoundary.objects.filter(
        _prefix_filter("division_code", prefixes)
    ).select_related("division")
    if levels:
        boundaries = boundaries.filter(level__in=levels)
    features = [_boundary_feature(b) for b in boundaries.order_by("division_code")]
    cities = sorted({p[:4].ljust(12, "0") for p in prefixes})
    for road in MapRoad.objects.filter(division_code__in=cities):
        features.append(
            {
                "type": "Feature",
                "geometry": road.geometry,
                "properties": {"kind": "road", "road": road.kind, "name": road.name},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def child_boundaries(*, division: Division) -> dict[str, Any]:
    """The outlines of a division's children (the choropleth), the division's own first.
    The caller has checked the division is in the actor's scope."""
    boundaries = DivisionBoundary.objects.filter(
        Q(division__parent=division) | Q(division=division)
    ).select_related("division")
    features = [
        _boundary_feature(b, parent=b.division_id == division.pk)
        for b in boundaries.order_by("division_code")
    ]
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------------------
# Distributions the dashboard charts (registered elders, visits)


AGE_BANDS = [(60, 64), (65, 69), (70, 74), (75, 79), (80, 84), (85, 89), (90, 94), (95, 200)]


def _band_label(low: int, high: int) -> str:
    return f"{low}+" if high >= 200 else f"{low}-{high}"


def _elders(division: Division) -> Any:
    return Elder.objects.filter(
        prefix_q("division_code", division.code_prefix), status=ElderStatus.ACTIVE
    )


PYRAMID_CACHE_SECONDS = 600


def age_pyramid(*, division: Division, today: datetime.date | None = None) -> list[dict[str, Any]]:
    """Registered active elders of the division by five-year age band and sex (one query:
    counts by birth year, banded here), kept for ten minutes: a whole city's registry is
    read for it, and it moves by a few elders a day."""
    today = today or timezone.localdate()
    key = f"dashboard:pyramid:{division.code}:{today.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        cached = _age_pyramid(division, today)
        cache.set(key, cached, PYRAMID_CACHE_SECONDS)
    return list(cached)


def _age_pyramid(division: Division, today: datetime.date) -> list[dict[str, Any]]:
    rows = (
        _elders(division)
        .values("sex", "birth_date__year")
        .annotate(n=Count("id"))
        .values_list("sex", "birth_date__year", "n")
    )
    counts: Counter[tuple[str, int]] = Counter()
    for sex, year, n in rows:
        age = today.year - year  # by birth year: one grouped query instead of per-day ages
        for index, (low, high) in enumerate(AGE_BANDS):
            if low <= age <= high:
                counts[(sex, index)] += n
                break
    return [
        {
            "band": _band_label(low, high),
            "male": counts[(Sex.MALE, index)],
            "female": counts[(Sex.FEMALE, index)],
        }
        for index, (low, high) in enumerate(AGE_BANDS)
    ]


def level_mix(*, division: Division) -> list[dict[str, Any]]:
    """Registered active elders by ability level (GB/T 42195), the unassessed apart."""
    counts = dict(
        _elders(division)
        .values("ability_level")
        .annotate(n=Count("id"))
        .values_list("ability_level", "n")
    )
    rows = [
        {"key": level.value, "label": str(level.label), "value": counts.get(level.value, 0)}
        for level in AbilityLevel
    ]
    rows.append({"key": "", "label": _("Not assessed"), "value": counts.get("", 0)})
    return rows


def service_mix(*, division: Division, month: datetime.date) -> list[dict[str, Any]]:
    """Visits delivered in the month by service category (the nine 助 services)."""
    end = (month + datetime.timedelta(days=32)).replace(day=1)
    counts = dict(
        Visit.objects.filter(
            prefix_q("division_code", division.code_prefix),
            date__gte=month,
            date__lt=end,
            status__in=DONE_STATUSES,
        )
        .values("item__category")
        .annotate(n=Count("id"))
        .values_list("item__category", "n")
    )
    return [
        {"key": c.value, "label": str(c.label), "value": counts.get(c.value, 0)}
        for c in ServiceCategory
    ]


# --------------------------------------------------------------------------------------
# The command-centre screen


def visits_today(*, division: Division, today: datetime.date | None = None) -> dict[str, int]:
    """Today's visits in the division: planned (not started), in progress, done, late."""
    today = today or timezone.localdate()
    rows = (
        Visit.objects.filter(prefix_q("division_code", division.code_prefix), date=today)
        .exclude(status=VisitStatus.CANCELLED)
        .values("status", "is_late")
        .annotate(n=Count("id"))
    )
    result = {"planned": 0, "in_progress": 0, "done": 0, "late": 0, "missed": 0}
    for row in rows:
        status, n = row["status"], row["n"]
        if status in OPEN_STATUSES:
            result["planned"] += n
            if row["is_late"]:
                result["late"] += n
        elif status == VisitStatus.CHECKED_IN:
            result["in_progress"] += n
        elif status in DONE_STATUSES:
            result["done"] += n
        elif status == VisitStatus.MISSED:
            result["missed"] += n
    return result


def _seconds(start: datetime.datetime, end: datetime.datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def _answer(alert: Any, now: datetime.datetime) -> tuple[str, str]:
    """An alert's answer time in seconds marked against the 60 s and 180 s targets (css
    class, words); one closed by the platform before anyone answered says so, one still
    waiting shows how long it has waited."""
    seconds = _seconds(alert.raised_at, alert.acknowledged_at)
    if seconds is None and alert.outcome == Outcome.AUTO_RESOLVED:
        return "auto", _("resolved by itself")
    if seconds is None and alert.status not in ACTIVE_STATUSES:
        return "miss", _("closed without an answer")
    target, limit = settings.ALERT_ANSWER_TARGET_SECONDS, settings.ALERT_ANSWER_LIMIT_SECONDS
    css, words = display.answer_mark(seconds, target, limit)
    if seconds is None:
        waited = display.duration_seconds(max(0.0, (now - alert.raised_at).total_seconds()))
        late = (now - alert.raised_at).total_seconds() > target
        return ("miss" if late else "waiting"), _("waiting %(t)s") % {"t": waited}
    return css, f"{display.duration_seconds(seconds)} · {words}"


def screen_alerts(
    *, actor: Actor, division: Division, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Open alerts on the map and the last hour's alerts with their answer times."""
    now = now or timezone.now()
    scoped = (
        alert_scoped(actor=actor)
        .filter(prefix_q("division_code", division.code_prefix))
        .select_related("elder__community")
    )
    active = list(scoped.filter(status__in=ACTIVE_STATUSES).order_by("priority", "raised_at")[:200])
    recent = list(
        scoped.filter(raised_at__gte=now - datetime.timedelta(hours=1)).order_by("-raised_at")[:50]
    )
    answered = [
        s for s in (_seconds(a.raised_at, a.acknowledged_at) for a in recent) if s is not None
    ]

    def row(alert: Any) -> dict[str, Any]:
        elder = alert.elder
        answer_class, answer_label = _answer(alert, now)
        return {
            "id": str(alert.external_id),
            "kind": str(AlertKind(alert.kind).label) if alert.kind in AlertKind.values else "",
            "priority": alert.priority,
            "priority_label": str(Priority(alert.priority).label),
            "status": alert.status,
            "status_label": str(AlertStatus(alert.status).label),
            "raised_at": timezone.localtime(alert.raised_at).strftime("%H:%M:%S"),
            "answer_seconds": _seconds(alert.raised_at, alert.acknowledged_at),
            "answer_class": answer_class,
            "answer_label": answer_label,
            "place": elder.community.name if elder.community_id else "",
            "lat": float(elder.lat) if elder.lat is not None else None,
            "lng": float(elder.lng) if elder.lng is not None else None,
        }

    return {
        "active": [row(a) for a in active],
        "recent": [row(a) for a in recent],
        "recent_count": len(recent),
        "answered_60": sum(1 for s in answered if s <= 60),
        "answered": len(answered),
    }


def screen_facilities(*, actor: Actor, division: Division) -> list[dict[str, Any]]:
    """Care institutions, stations, day-care centres and canteens with a position."""
    queryset = actor.scope.apply(
        Organisation.objects.filter(
            prefix_q("division__code", division.code_prefix), lat__isnull=False
        ),
        division_code_field="division__code",
        organisation_field="id",
    )
    return [
        {
            "name": o.name,
            "kind": o.kind,
            "kind_label": str(o.get_kind_display()),
            "lat": float(o.lat),
            "lng": float(o.lng),
        }
        for o in queryset.only("name", "kind", "lat", "lng")[:2000]
        if o.lat is not None and o.lng is not None
    ]


# --------------------------------------------------------------------------------------
# Home pages


@dataclass
class Todo:
    label: str
    count: int
    url_name: str
    query: str = ""


@dataclass
class Attention:
    overdue_assessments: list[Any] = field(default_factory=list)
    missed_visits: list[Any] = field(default_factory=list)
    silent_devices: list[Any] = field(default_factory=list)
    unlocated: Any = None  # elders.selectors.UnlocatedCount: homes not on the map


def officer_todos(*, actor: Actor) -> list[Todo]:
    """What waits for an officer (or the city administrator), each with the page that
    lists it: only pages the role may open."""
    from yiyang.assessments.selectors import assessments_due
    from yiyang.elders.choices import ImportStatus
    from yiyang.elders.selectors import import_job_list
    from yiyang.supervision.choices import OPEN_COMPLAINT_STATUSES
    from yiyang.supervision.selectors import complaint_queryset
    from yiyang.visits.selectors import review_queue

    today = timezone.localdate()
    todos: list[Todo] = []
    if has_perm(actor, Permission.REVIEW_VISITS):
        todos.append(
            Todo(
                _("Flagged visits to review"),
                review_queue(actor=actor).count(),
                "visits:review-queue",
            )
        )
    if has_perm(actor, Permission.VIEW_ASSESSMENTS):
        overdue = assessments_due(actor=actor, within_days=0).filter(valid_until__lt=today)
        todos.append(Todo(_("Overdue re-assessments"), overdue.count(), "assessments:due"))
    if has_perm(actor, Permission.HANDLE_COMPLAINTS):
        open_complaints = complaint_queryset(actor=actor).filter(status__in=OPEN_COMPLAINT_STATUSES)
        todos.append(Todo(_("Open complaints"), open_complaints.count(), "supervision:complaints"))
    if has_perm(actor, Permission.VIEW_ALERTS):
        unresolved = alert_scoped(actor=actor).filter(status__in=ACTIVE_STATUSES).count()
        todos.append(Todo(_("Unresolved alerts"), unresolved, "alerts:console"))
    if has_perm(actor, Permission.VIEW_SETTLEMENT):
        from yiyang.settlement.selectors import steps_due

        due = steps_due(actor=actor, today=today)
        if due:
            todos.append(Todo(_("Settlement steps due"), len(due), "settlement:statements"))
    if has_perm(actor, Permission.IMPORT_ELDERS):
        failed = import_job_list(actor=actor).filter(
            Q(status=ImportStatus.FAILED) | Q(rejected_count__gt=0)
        )
        todos.append(Todo(_("Imports with errors"), failed.count(), "elders:import"))
    return todos


def community_attention(*, actor: Actor, limit: int = 10) -> Attention:
    """A community worker's elders needing attention: homes not on the map (how many),
    overdue re-assessments, visits missed in the last fortnight, and devices gone silent
    (their open "device silent" alerts)."""
    from yiyang.assessments.selectors import assessments_due

    today = timezone.localdate()
    attention = Attention()
    if has_perm(actor, Permission.VIEW_ELDERS):
        from yiyang.elders.selectors import elders_unlocated_count

        attention.unlocated = elders_unlocated_count(actor=actor)
    if has_perm(actor, Permission.VIEW_ASSESSMENTS):
        attention.overdue_assessments = list(
            assessments_due(actor=actor, within_days=0).filter(valid_until__lt=today)[:limit]
        )
    if has_perm(actor, Permission.VIEW_VISITS):
        from yiyang.visits.selectors import visit_queryset

        attention.missed_visits = list(
            visit_queryset(actor=actor)
            .filter(status=VisitStatus.MISSED, date__gte=today - datetime.timedelta(days=14))
            .select_related("elder", "item")
            .order_by("-date")[:limit]
        )
    if has_perm(actor, Permission.VIEW_ALERTS):
        attention.silent_devices = list(
            alert_scoped(actor=actor)
            .filter(kind=AlertKind.DEVICE_SILENT, status__in=ACTIVE_STATUSES)
            .order_by("raised_at")[:limit]
        )
    return attention


def assessor_schedule(*, actor: Actor, limit: int = 20) -> list[Any]:
    """The assessor's scheduled and running assessments, soonest first."""
    from yiyang.assessments.choices import AssessmentStatus
    from yiyang.assessments.selectors import assessment_queryset

    if not has_perm(actor, Permission.CONDUCT_ASSESSMENTS):
        return []
    return list(
        assessment_queryset(actor=actor)
        .filter(
            Q(assessor_id=actor.pk) | Q(second_assessor_id=actor.pk),
            status__in=[
                AssessmentStatus.SCHEDULED,
                AssessmentStatus.IN_PROGRESS,
                AssessmentStatus.RETURNED,
            ],
        )
        .select_related("elder", "instrument")
        .order_by("scheduled_at", "id")[:limit]
    )


def provider_boards(*, actor: Actor) -> list[Any]:
    """Today's dispatch-board figures of the manager's organisation (the board's own)."""
    from yiyang.visits.selectors import dispatch_board

    provider = getattr(actor, "organisation", None)
    if provider is None or not has_perm(actor, Permission.DISPATCH_VISITS):
        return []
    return [dispatch_board(actor=actor, provider=provider, day=timezone.localdate())]


def family_summary(*, actor: Actor) -> list[dict[str, Any]]:
    """Each linked elder: next visit, last visit and open alerts (with the elder's
    family-view consent in force; without it, only the link itself)."""
    from yiyang.alerts.models import Alert
    from yiyang.visits.selectors import family_care

    if not has_perm(actor, Permission.RATE_VISITS):
        return []
    entries = []
    for entry in family_care(actor=actor):
        alerts: list[Any] = []
        if entry.consent:
            alerts = list(
                Alert.objects.filter(elder=entry.elder, status__in=ACTIVE_STATUSES).order_by(
                    "-raised_at"
                )[:5]
            )
        entries.append(
            {
                "elder": entry.elder,
                "relation": entry.relation,
                "consent": entry.consent,
                "next_visit": entry.upcoming[0] if entry.upcoming else None,
                "last_visit": entry.past[0]["visit"] if entry.past else None,
                "open_alerts": alerts,
            }
        )
    return entries
