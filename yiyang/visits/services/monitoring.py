"""Background scans: late and missed visits, and the monthly exception scan."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiyang.accounts.models import User
from yiyang.alerts.choices import RecipientKind
from yiyang.alerts.services import notification_send
from yiyang.core import clock
from yiyang.core.dbfunctions import Epoch
from yiyang.visits.choices import (
    OPEN_STATUSES,
    ReviewStatus,
    VisitStatus,
)
from yiyang.visits.models import (
    Visit,
    VisitFlag,
)
from yiyang.visits.rules import (
    Facts,
    cross_visit_flags,
    single_visit_flags,
)
from yiyang.visits.services import transitions


def _notify_late(visits: Any) -> None:
    """Tell each late visit's provider (its managers, through the notification channels)."""
    managers: dict[int, list[str]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for visit in visits:
            provider = visit.provider
            if provider.pk not in managers:
                managers[provider.pk] = list(
                    User.objects.filter(
                        Q(organisation_id=provider.pk) | Q(organisation_id=provider.operator_id),
                        role="provider_manager",
                        is_active=True,
                    ).values_list("username", flat=True)[:10]
                )
            message = _(
                "Late visit: no check-in at %(elder)s (%(service)s, %(start)s-%(end)s), "
                "caregiver %(caregiver)s."
            ) % {
                "elder": visit.elder.name,
                "service": visit.item.name,
                "start": timezone.localtime(visit.window_start).strftime("%H:%M"),
                "end": timezone.localtime(visit.window_end).strftime("%H:%M"),
                "caregiver": visit.caregiver.name if visit.caregiver else _("not assigned"),
            }
            for username in managers[provider.pk] or [provider.name]:
                notification_send(
                    recipient_kind=RecipientKind.PROVIDER,
                    recipient=username,
                    message=message,
                    division_code=visit.division_code,
                )


def visits_mark_late(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Visits with no check-in 15 min (configurable) after the window opened become late
    (on the board, and the provider is notified once); past the window they become missed.
    Claimed with conditional updates, so several workers never notify twice."""
    now = now or clock.now()
    late_after, missed_after = transitions.late_after(), transitions.missed_after()
    since = (now - datetime.timedelta(days=2)).date()
    base = Visit.objects.filter(status__in=OPEN_STATUSES, check_in_at__isnull=True, date__gte=since)
    late_ids = list(
        base.filter(is_late=False, window_start__lte=now - late_after).values_list("id", flat=True)[
            :5000
        ]
    )
    claimed = Visit.objects.filter(id__in=late_ids, is_late=False).update(
        is_late=True, late_notified_at=now
    )
    missed = base.filter(window_end__lte=now - missed_after).update(
        status=VisitStatus.MISSED, updated_at=now
    )
    if claimed:
        _notify_late(
            Visit.objects.filter(id__in=late_ids, late_notified_at=now).select_related(
                "provider", "elder", "item", "caregiver"
            )
        )
    return {"late": claimed, "missed": missed}


SCAN_FIELDS = (
    "id",
    "date",
    "caregiver_id",
    "second_caregiver_id",
    "standard_minutes",
    "cin",
    "cout",
    "check_in_lat",
    "check_in_lng",
    "check_out_lat",
    "check_out_lng",
    "check_in_distance",
    "check_out_distance",
    "outcome",
    "elder__status",
    "elder__status_changed_on",
    "elder__deceased_on",
)


def _row_facts(row: tuple[Any, ...]) -> Facts:
    """One scanned row (``SCAN_FIELDS``) as the facts the exception rules read."""
    (
        vid,
        day,
        cg1,
        cg2,
        minutes,
        in_epoch,
        out_epoch,
        ilat,
        ilng,
        olat,
        olng,
        idist,
        odist,
        outcome,
        estatus,
        echanged,
        edeceased,
    ) = row
    utc = datetime.UTC
    cin = None if in_epoch is None else datetime.datetime.fromtimestamp(in_epoch, utc)
    cout = None if out_epoch is None else datetime.datetime.fromtimestamp(out_epoch, utc)
    return Facts(
        visit_id=vid,
        caregiver_ids=tuple(c for c in (cg1, cg2) if c),
        standard_minutes=minutes,
        check_in_at=cin,
        check_out_at=cout,
        in_lat=ilat,
        in_lng=ilng,
        out_lat=olat,
        out_lng=olng,
        in_distance=idist,
        out_distance=odist,
        outcome=outcome,
        elder_status=estatus,
        elder_status_since=edeceased or echanged,
        date=day,
    )


def _flags_write(new_flags: list[VisitFlag], flagged: set[int]) -> None:
    """Write the new flags and send their visits to review (unless already decided)."""
    with transaction.atomic():
        VisitFlag.objects.bulk_create(new_flags, batch_size=2000, ignore_conflicts=True)
        pending = list(flagged)
        for i in range(0, len(pending), 2000):
            Visit.objects.filter(
                id__in=pending[i : i + 2000],
                review_status__in=(ReviewStatus.NONE, ReviewStatus.ACCEPTED),
            ).update(review_status=ReviewStatus.PENDING)


def visits_scan(*, start: datetime.date, end: datetime.date) -> dict[str, int]:
    """Re-run every exception rule over the visits of a date range (a month is about
    300,000 visits in a large city) and add the flags not yet raised. Streams the visits by
    caregiver and day, writes the new flags in bulk; existing flags are kept."""
    # Times come as epoch seconds: parsing 600,000 timestamps with their zones was a third
    # of the scan.
    rows = (
        Visit.objects.filter(date__gte=start, date__lte=end)
        .filter(Q(check_in_at__isnull=False) | Q(check_out_at__isnull=False))
        .annotate(cin=Epoch("check_in_at"), cout=Epoch("check_out_at"))
        .values_list(*SCAN_FIELDS)
        .order_by("date", "caregiver_id")
        .iterator(chunk_size=20000)
    )
    radius, short = settings.VISIT_CHECK_IN_RADIUS_M, settings.VISIT_TOO_SHORT_PERCENT
    speed = settings.VISIT_MAX_SPEED_KMH
    existing = set(
        VisitFlag.objects.filter(visit__date__gte=start, visit__date__lte=end).values_list(
            "visit_id", "code"
        )
    )
    new_flags: list[VisitFlag] = []
    flagged: set[int] = set()
    scanned = 0

    def keep(visit_id: int, found: list[tuple[str, str]]) -> None:
        for code, detail in found:
            if (visit_id, code) not in existing:
                existing.add((visit_id, code))
                new_flags.append(VisitFlag(visit_id=visit_id, code=code, detail=str(detail)[:300]))
                flagged.add(visit_id)

    day_batch: list[Facts] = []
    current_day: datetime.date | None = None

    def flush() -> None:
        for visit_id, found in cross_visit_flags(day_batch, max_speed_kmh=speed).items():
            keep(visit_id, found)
        day_batch.clear()

    for row in rows:
        facts = _row_facts(row)
        if facts.date != current_day:
            flush()
            current_day = facts.date
        day_batch.append(facts)
        keep(facts.visit_id, single_visit_flags(facts, radius_m=radius, too_short_percent=short))
        scanned += 1
    flush()
    _flags_write(new_flags, flagged)
    return {"scanned": scanned, "new_flags": len(new_flags), "visits_flagged": len(flagged)}
