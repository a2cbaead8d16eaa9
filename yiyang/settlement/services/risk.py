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
from yiyang.settlement.services.engine import Run
from yiyang.visits.models import Visit, VisitFlag

LONG_DAY_MINUTES = 12 * 60


def _evidence(
    first: datetime.date, last: datetime.date, provider_ids: Collection[int]
) -> dict[tuple[int, int | None], Evidence]:
    """The month's counts by provider (caregiver ``None``) and by caregiver, in one
    grouped query: flags by code, shared check-in spots, long days, month-end visits."""
    days = calendar.monthrange(first.year, first.month)[1]
    found: dict[tuple[int, int | None], Evidence] = defaultdict(
        lambda: Evidence(days_in_month=days)
    )
    run = Run(first, last, provider_ids)
    providers, ids = run.providers("v.provider_id")
    flag = "MAX(CASE WHEN f.code = %s THEN 1 ELSE 0 END)"
    out = "COALESCE(m.cout, m.cin)"
    span = run.minutes_between(
        f"MAX({run.greatest('m.cin', out)})", f"MIN({run.least('m.cin', out)})"
    )
    rows = run.fetch(
        "WITH m AS (SELECT v.id, v.provider_id AS p, v.caregiver_id AS c, v.elder_id AS el, "  # noqa: S608
        f"v.date AS d, v.check_in_at AS cin, v.check_out_at AS cout, "
        f"{run.round5('v.check_in_lat')} AS la, {run.round5('v.check_in_lng')} AS lo "
        f"FROM {Visit._meta.db_table} v WHERE v.date >= %s AND v.date <= %s AND {providers} "
        "AND v.check_in_at IS NOT NULL), "
        f"fl AS (SELECT f.visit_id AS vid, {flag} AS ts, {flag} AS oor, {flag} AS tr "
        f"FROM {VisitFlag._meta.db_table} f JOIN m ON m.id = f.visit_id GROUP BY f.visit_id), "
        "spot AS (SELECT p, la, lo FROM m WHERE la IS NOT NULL AND lo IS NOT NULL "
        "GROUP BY p, la, lo HAVING MIN(el) < MAX(el)), "
        f"longd AS (SELECT m.c, m.d FROM m WHERE m.c IS NOT NULL GROUP BY m.c, m.d "
        f"HAVING {span} > %s) "
        "SELECT m.p, m.c, COUNT(*), COUNT(fl.vid), SUM(COALESCE(fl.ts, 0)), "
        "SUM(COALESCE(fl.oor, 0)), SUM(CASE WHEN spot.p IS NULL THEN 0 ELSE 1 END), "
        "SUM(CASE WHEN longd.c IS NOT NULL OR COALESCE(fl.tr, 0) = 1 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN m.d >= %s THEN 1 ELSE 0 END) FROM m "
        "LEFT JOIN fl ON fl.vid = m.id "
        "LEFT JOIN spot ON spot.p = m.p AND spot.la = m.la AND spot.lo = m.lo "
        "LEFT JOIN longd ON longd.c = m.c AND longd.d = m.d GROUP BY m.p, m.c",
        [
            run.date(first),
            run.date(last),
            *ids,
            "too_short",
            "out_of_range",
            "impossible_travel",
            LONG_DAY_MINUTES,
            run.date(last - datetime.timedelta(days=2)),
        ],
    )
    for provider, caregiver, *counts in rows:
        keys = {(provider, None), (provider, caregiver)}
        for key in keys:
            e = found[key]
            e.visits += int(counts[0])
            e.flagged += int(counts[1])
            e.too_short += int(counts[2] or 0)
            e.out_of_range += int(counts[3] or 0)
            e.same_spot += int(counts[4] or 0)
            e.long_or_fast += int(counts[5] or 0)
            e.month_end += int(counts[6] or 0)
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
        rows.append(
            RiskScore(
                month=first,
                provider_id=provider,
                caregiver_id=caregiver,
                division_code=codes.get(provider, ""),
                visits=evidence.visits,
                score=score(found),
                factors=found,
            )
        )
    RiskScore.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
