"""What a statement bills: a small registry of line sources.

A source is a kind (``"visit"``; the meals app adds ``"meal"``), a label and a collector
that returns the month's billable rows for some providers, with the holds only the source
can judge (a visit's flags, its caregiver's other visits, the wearable, certificates). The
rules that hold for every kind (registry status, duplicates, allowance) run afterwards over
all rows together. Another app registers its source from its ``AppConfig.ready``::

    from yiyang.settlement.sources import register_source
    register_source("meal", _("Served meal"), collect_meals)

so settlement never imports it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.functional import Promise

from yiyang.devices.models import DeviceEvent
from yiyang.meals.selectors import BILLING_KIND, BILLING_LABEL, billable_meals
from yiyang.services.models import Certificate
from yiyang.settlement.choices import HoldReason, SourceKind
from yiyang.settlement.rules import (
    SourceRow,
    Stay,
    away_from_home,
    certificate_lapsed,
    overlapping_visits,
)
from yiyang.visits.choices import ReviewStatus, VisitOutcome, VisitStatus
from yiyang.visits.models import Visit, VisitFlag

Collector = Callable[[datetime.date, datetime.date, Collection[int] | None], list[SourceRow]]


@dataclass(frozen=True)
class Source:
    kind: str
    label: Promise | str
    collect: Collector


SOURCES: dict[str, Source] = {}


def register_source(kind: str, label: Promise | str, collect: Collector) -> None:
    SOURCES[kind] = Source(kind, label, collect)


def source_label(kind: str) -> str:
    if kind == SourceKind.ADJUSTMENT:
        return str(SourceKind.ADJUSTMENT.label)
    source = SOURCES.get(kind)
    return str(source.label) if source else kind


VISIT_FIELDS = (
    "id", "elder_id", "division_code", "provider_id", "item_id", "caregiver_id",
    "second_caregiver_id", "date", "check_in_at", "check_out_at", "standard_minutes",
    "price", "allowance_yuan", "ltc_yuan", "self_pay_yuan", "review_status", "status",
    "outcome", "item__name", "item__required_qualification", "elder__lat", "elder__lng",
)  # fmt: skip


def _stay(v: dict[str, Any], caregiver_id: int) -> Stay | None:
    start = v["check_in_at"] or v["check_out_at"]
    if start is None:
        return None
    end = v["check_out_at"] or start + datetime.timedelta(minutes=v["standard_minutes"])
    return Stay(v["id"], caregiver_id, start, max(start, end))


def collect_visits(
    first: datetime.date, last: datetime.date, provider_ids: Collection[int] | None
) -> list[SourceRow]:
    """Confirmed, done visits of the month, with the visit-only holds."""
    month = Visit.objects.filter(date__gte=first, date__lte=last)
    if provider_ids is not None:
        month = month.filter(provider_id__in=provider_ids)
    visits = list(
        month.filter(Q(status=VisitStatus.CONFIRMED) | Q(check_in_at__isnull=False)).values(
            *VISIT_FIELDS
        )
    )
    billable = [
        v for v in visits
        if v["status"] == VisitStatus.CONFIRMED and v["outcome"] in ("", VisitOutcome.DONE)
    ]  # fmt: skip
    # A caregiver works for one provider, so the provider's visits hold all their stays.
    stays = [
        s for v in visits for c in (v["caregiver_id"], v["second_caregiver_id"]) if c
        for s in [_stay(v, c)] if s is not None
    ]  # fmt: skip
    elsewhere = overlapping_visits(stays)
    rows = [_visit_row(v) for v in billable]
    _flag_holds(rows, billable)
    for row in rows:
        if row.source_id in elsewhere:
            row.hold(HoldReason.CAREGIVER_ELSEWHERE, other=elsewhere[row.source_id])
    _wearable_holds(rows, billable, first, last)
    _certificate_holds(rows, billable)
    return rows


def _visit_row(v: dict[str, Any]) -> SourceRow:
    return SourceRow(
        kind=SourceKind.VISIT, source_id=v["id"], elder_id=v["elder_id"],
        division_code=v["division_code"], provider_id=v["provider_id"], date=v["date"],
        description=v["item__name"], price=v["price"], allowance=v["allowance_yuan"],
        ltc=v["ltc_yuan"], self_pay=v["self_pay_yuan"], item_id=v["item_id"],
        caregiver_id=v["caregiver_id"], start=v["check_in_at"], end=v["check_out_at"],
    )  # fmt: skip


def _flag_holds(rows: list[SourceRow], visits: list[dict[str, Any]]) -> None:
    flagged = {
        v["id"]: v["review_status"]
        for v in visits
        if v["review_status"] in (ReviewStatus.PENDING, ReviewStatus.REJECTED)
    }
    codes: dict[int, list[str]] = defaultdict(list)
    ids = list(flagged)
    for i in range(0, len(ids), 5000):
        for visit_id, code in VisitFlag.objects.filter(visit_id__in=ids[i : i + 5000]).values_list(
            "visit_id", "code"
        ):
            codes[visit_id].append(code)
    for row in rows:
        status = flagged.get(row.source_id)
        if status == ReviewStatus.PENDING:
            row.hold(HoldReason.FLAG_UNREVIEWED, flags=sorted(codes[row.source_id]))
        elif status == ReviewStatus.REJECTED:
            row.hold(HoldReason.FLAG_UPHELD, flags=sorted(codes[row.source_id]))


def _wearable_holds(
    rows: list[SourceRow], visits: list[dict[str, Any]], first: datetime.date, last: datetime.date
) -> None:
    """Positions the elder's own devices reported during the visit, away from home."""
    homes = {
        v["elder_id"]: (float(v["elder__lat"]), float(v["elder__lng"]))
        for v in visits
        if v["elder__lat"] is not None and v["check_in_at"] is not None
    }
    if not homes:
        return
    start = datetime.datetime.combine(
        first, datetime.time.min, tzinfo=datetime.UTC
    ) - datetime.timedelta(days=1)
    end = datetime.datetime.combine(
        last, datetime.time.max, tzinfo=datetime.UTC
    ) + datetime.timedelta(days=1)
    positions: dict[int, list[tuple[datetime.datetime, float, float]]] = defaultdict(list)
    events = DeviceEvent.objects.filter(
        elder_id__isnull=False, occurred_at__gte=start, occurred_at__lte=end, data__has_key="lat"
    ).values_list("elder_id", "occurred_at", "data")
    for elder_id, at, data in events.iterator(chunk_size=5000):
        if elder_id in homes and data.get("lat") is not None and data.get("lng") is not None:
            positions[elder_id].append((at, float(data["lat"]), float(data["lng"])))
    if not positions:
        return
    radius = float(getattr(settings, "SETTLEMENT_AWAY_FROM_HOME_M", 300))
    for row in rows:
        seen = positions.get(row.elder_id)
        if not seen or row.start is None:
            continue
        end_at = row.end or row.start
        found = away_from_home(row.start, end_at, homes[row.elder_id], seen, radius_m=radius)
        if found is not None:
            row.hold(HoldReason.ELDER_AWAY, at=found[0].isoformat(), metres=found[1])


def _certificate_holds(rows: list[SourceRow], visits: list[dict[str, Any]]) -> None:
    required = {v["id"]: v["item__required_qualification"] or "" for v in visits}
    caregivers = {r.caregiver_id for r in rows if r.caregiver_id}
    held: dict[int, list[tuple[str, datetime.date | None, datetime.date | None]]] = defaultdict(
        list
    )
    for cid, kind, issued, expires in Certificate.objects.filter(
        caregiver_id__in=caregivers
    ).values_list("caregiver_id", "qualification", "issued_on", "expires_on"):
        held[cid].append((kind, issued, expires))
    for row in rows:
        if row.caregiver_id is None or row.caregiver_id not in held:
            continue
        lapsed = certificate_lapsed(row.date, held[row.caregiver_id], required[row.source_id])
        if lapsed is not None:
            row.hold(HoldReason.CERTIFICATE_EXPIRED, expired_on=lapsed.isoformat())


register_source(SourceKind.VISIT, SourceKind.VISIT.label, collect_visits)
register_source(
    BILLING_KIND, BILLING_LABEL, lambda *a: [SourceRow(**r) for r in billable_meals(*a)]
)
