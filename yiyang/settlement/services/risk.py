"""The month's fraud risk scores of providers and caregivers, from the visit evidence."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Collection

from yiyang.organisations.models import Organisation
from yiyang.settlement.models import RiskScore
from yiyang.settlement.scoring import Evidence, factors, score
from yiyang.settlement.selectors import feedback_by_caregiver
from yiyang.visits.models import Visit, VisitFlag

LONG_DAY_MINUTES = 12 * 60


def _evidence(
    first: datetime.date, last: datetime.date, provider_ids: Collection[int]
) -> dict[tuple[int, int | None], Evidence]:
    days = calendar.monthrange(first.year, first.month)[1]
    found: dict[tuple[int, int | None], Evidence] = defaultdict(
        lambda: Evidence(days_in_month=days)
    )
    visits = list(
        Visit.objects.filter(date__gte=first, date__lte=last, provider_id__in=provider_ids)
        .filter(check_in_at__isnull=False)
        .values_list(
            "id", "provider_id", "caregiver_id", "elder_id", "date", "check_in_at",
            "check_out_at", "check_in_lat", "check_in_lng",
        )
    )  # fmt: skip
    flags: dict[int, set[str]] = defaultdict(set)
    month_flags = VisitFlag.objects.filter(
        visit__date__gte=first, visit__date__lte=last, visit__provider_id__in=provider_ids
    )
    for vid, code in month_flags.values_list("visit_id", "code").iterator(chunk_size=5000):
        flags[vid].add(code)
    spots: dict[tuple[int, float, float], set[int]] = defaultdict(set)
    day_span: dict[tuple[int | None, datetime.date], list[datetime.datetime]] = defaultdict(list)
    for _vid, provider, caregiver, elder, day, cin, cout, lat, lng in visits:
        if lat is not None and lng is not None:
            spots[(provider, round(lat, 5), round(lng, 5))].add(elder)
        day_span[(caregiver, day)].extend(t for t in (cin, cout) if t is not None)
    long_days = {
        key for key, times in day_span.items()
        if key[0] is not None and (max(times) - min(times)).total_seconds() / 60 > LONG_DAY_MINUTES
    }  # fmt: skip
    end_from = last.day - 2
    for vid, provider, caregiver, _elder, day, _cin, _cout, lat, lng in visits:
        codes = flags.get(vid, set())
        same = (
            lat is not None
            and lng is not None
            and len(spots[(provider, round(lat, 5), round(lng, 5))]) > 1
        )
        for key in {(provider, None), (provider, caregiver)}:
            e = found[key]
            e.visits += 1
            e.flagged += bool(codes)
            e.too_short += "too_short" in codes
            e.out_of_range += "out_of_range" in codes
            e.same_spot += same
            e.long_or_fast += (caregiver, day) in long_days or "impossible_travel" in codes
            e.month_end += day.day >= end_from
    for (provider, who), feedback in feedback_by_caregiver(first, last, list(provider_ids)).items():
        for key in {(provider, None), (provider, who)}:
            found[key].ratings.extend(feedback.ratings)
            found[key].complaints += feedback.complaints
    return found


def risk_compute(
    *, first: datetime.date, last: datetime.date, provider_ids: Collection[int]
) -> int:
    """Replace the month's scores of these providers (and their caregivers)."""
    RiskScore.objects.filter(month=first, provider_id__in=provider_ids).delete()
    codes = dict(
        Organisation.objects.filter(id__in=provider_ids).values_list("id", "division__code")
    )
    rows = []
    for (provider, caregiver), evidence in _evidence(first, last, provider_ids).items():
        found = factors(evidence)
        rows.append(RiskScore(
            month=first, provider_id=provider, caregiver_id=caregiver,
            division_code=codes.get(provider, ""), visits=evidence.visits, score=score(found),
            factors=found,
        ))  # fmt: skip
    RiskScore.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
