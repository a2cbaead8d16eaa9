"""Every hold reason as SQL over the staged units (see ``engine``). Each rule notes the
held units with the values the page words its reason from (``display.hold_text``).

Visit-only rules read the visits of the month directly (a flag, the caregiver's other
check-ins, the wearable, certificates); the rules for every kind (registry status,
duplicates, the allowance) read all staged units together.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from typing import Any

from django.conf import settings

from yiyang.core.models import AuditEvent
from yiyang.devices.models import DeviceEvent
from yiyang.elders.models import Elder
from yiyang.services.models import Certificate, ServiceItem
from yiyang.settlement.choices import HoldReason, SourceKind
from yiyang.settlement.rules import UNAVAILABLE, away_from_home, certificate_lapsed
from yiyang.settlement.selectors import elder_status_timelines, monthly_entitlements
from yiyang.settlement.services.engine import (
    LIMIT,
    SPAN,
    UNIT,
    Run,
    as_date,
    as_datetime,
    yuan_of_fen,
)
from yiyang.settlement.services.packages import package_shares
from yiyang.visits.choices import ReviewStatus, VisitOutcome, VisitStatus
from yiyang.visits.models import Visit, VisitFlag

VISIT = SourceKind.VISIT.value
PACKAGE = SourceKind.PACKAGE.value
V = Visit._meta.db_table
CHUNK = 2000


def _month(run: Run) -> tuple[str, list[Any]]:
    providers, ids = run.providers("v.provider_id")
    return (
        f"v.date >= %s AND v.date <= %s AND {providers}",
        [run.date(run.first), run.date(run.last), *ids],
    )


def stage_visits(run: Run) -> None:
    """The month's confirmed, done visits not yet billed, as units."""
    month, params = _month(run)
    from yiyang.settlement.models import StatementLine

    # A unit is billed once, whatever the statement: probes of the unique (kind, id) index.
    billed = (
        f" AND NOT EXISTS (SELECT 1 FROM {StatementLine._meta.db_table} l "  # noqa: S608
        "WHERE l.source_kind = %s AND l.source_kind <> %s AND l.source_id = v.id)"
    )
    billed_params = [VISIT, SourceKind.ADJUSTMENT.value]
    run.execute(
        f"INSERT INTO {UNIT} ({', '.join(run.UNIT_COLUMNS)}) SELECT %s, v.id, v.elder_id, "  # noqa: S608
        "v.division_code, v.provider_id, v.item_id, v.caregiver_id, v.date, v.check_in_at, "
        "v.check_out_at, i.name, v.price, v.allowance_yuan, v.ltc_yuan, v.self_pay_yuan, "
        f"COALESCE(i.required_qualification, ''), 0 FROM {V} v "
        f"JOIN {ServiceItem._meta.db_table} i ON i.id = v.item_id "
        f"WHERE {month} AND v.status = %s AND v.outcome IN ('', %s){billed}",
        [VISIT, *params, VisitStatus.CONFIRMED.value, VisitOutcome.DONE.value, *billed_params],
    )


def visit_holds(run: Run) -> None:
    hold_flags(run)
    hold_elsewhere(run)
    hold_elder_away(run)
    hold_certificates(run)


def hold_flags(run: Run) -> None:
    """A flag not yet reviewed, or upheld on review (the visit's review status)."""
    month, params = _month(run)
    found: dict[int, tuple[str, list[str]]] = {}
    for visit_id, status, code in run.fetch(
        f"SELECT v.id, v.review_status, f.code FROM {V} v "  # noqa: S608
        f"LEFT JOIN {VisitFlag._meta.db_table} f ON f.visit_id = v.id "
        f"WHERE {month} AND v.review_status IN (%s, %s)",
        [*params, ReviewStatus.PENDING.value, ReviewStatus.REJECTED.value],
    ):
        codes = found.setdefault(visit_id, (status, []))[1]
        if code is not None:
            codes.append(code)
    for visit_id, (status, codes) in found.items():
        reason = (
            HoldReason.FLAG_UNREVIEWED if status == ReviewStatus.PENDING else HoldReason.FLAG_UPHELD
        )
        run.hold((VISIT, visit_id), reason, flags=sorted(codes))


def _stays_sql(run: Run) -> tuple[str, list[Any]]:
    """Every (visit, caregiver) stay of the month: from check-in (or check-out) to
    check-out (or the standard duration)."""
    month, params = _month(run)
    start = "COALESCE(v.check_in_at, v.check_out_at)"
    end = run.greatest(
        start, f"COALESCE(v.check_out_at, {run.plus_minutes(start, 'v.standard_minutes')})"
    )
    base = (
        f"FROM {V} v WHERE {month} AND (v.status = %s OR v.check_in_at IS NOT NULL) "
        "AND (v.check_in_at IS NOT NULL OR v.check_out_at IS NOT NULL)"
    )
    values = [*params, VisitStatus.CONFIRMED.value]
    sql = (
        f"SELECT v.id AS vid, v.caregiver_id AS cg, {start} AS s, {end} AS e {base} "
        "AND v.caregiver_id IS NOT NULL UNION ALL "
        f"SELECT v.id, v.second_caregiver_id, {start}, {end} {base} "
        "AND v.second_caregiver_id IS NOT NULL"
    )
    return sql, values + values


def hold_elsewhere(run: Run) -> None:
    """The caregiver was checked in at another visit meanwhile. In each caregiver's stays
    by start, a stay that starts before the latest end so far overlaps the stay with that
    end (the first such): both are held, each naming the other."""
    stays, params = _stays_sql(run)
    rows = run.fetch(
        f"WITH stays AS ({stays}), marked AS (SELECT vid, cg, s, e, MAX(e) OVER "  # noqa: S608
        "(PARTITION BY cg ORDER BY s, vid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) "
        "AS before_e FROM stays) "
        "SELECT h.vid, h.s, l.vid, l.s FROM marked h JOIN stays l ON l.cg = h.cg "
        "AND l.e = h.before_e AND l.vid <> h.vid AND (l.s < h.s OR (l.s = h.s AND "
        "l.vid < h.vid)) WHERE h.s < h.before_e",
        params,
    )
    partner: dict[int, tuple[Any, int, Any]] = {}
    for vid, start, other, other_start in rows:
        key = (as_datetime(other_start), other)
        if vid not in partner or key < (partner[vid][0], partner[vid][1]):
            partner[vid] = (key[0], other, as_datetime(start))
    found: dict[int, int] = {}
    for vid, (_s, other, _start) in sorted(partner.items(), key=lambda p: (p[1][2], p[0])):
        found.setdefault(vid, other)
        found.setdefault(other, vid)
    for vid, other in found.items():
        run.hold((VISIT, vid), HoldReason.CAREGIVER_ELSEWHERE, other=other)


def hold_elder_away(run: Run) -> None:
    """Positions the elder's own devices reported during the visit, away from home."""
    start = datetime.datetime.combine(
        run.first, datetime.time.min, tzinfo=datetime.UTC
    ) - datetime.timedelta(days=1)
    end = datetime.datetime.combine(
        run.last, datetime.time.max, tzinfo=datetime.UTC
    ) + datetime.timedelta(days=1)
    positions: dict[int, list[tuple[datetime.datetime, float, float]]] = defaultdict(list)
    events = DeviceEvent.objects.filter(
        elder_id__isnull=False, occurred_at__gte=start, occurred_at__lte=end, data__has_key="lat"
    ).values_list("elder_id", "occurred_at", "data")
    for elder_id, at, data in events.iterator(chunk_size=5000):
        if data.get("lat") is not None and data.get("lng") is not None:
            positions[elder_id].append((at, float(data["lat"]), float(data["lng"])))
    if not positions:
        return
    homes = {
        e: (float(lat), float(lng))
        for e, lat, lng in Elder.objects.filter(id__in=list(positions)).values_list(
            "id", "lat", "lng"
        )
        if lat is not None and lng is not None
    }
    radius = float(getattr(settings, "SETTLEMENT_AWAY_FROM_HOME_M", 300))
    elders = sorted(homes)
    for i in range(0, len(elders), CHUNK):
        part = elders[i : i + CHUNK]
        for source_id, elder_id, begin, finish in run.fetch(
            f"SELECT source_id, elder_id, start_at, end_at FROM {UNIT} WHERE kind = %s "  # noqa: S608
            f"AND start_at IS NOT NULL AND elder_id IN ({', '.join(['%s'] * len(part))})",
            [VISIT, *part],
        ):
            begin_at = as_datetime(begin)
            assert begin_at is not None
            found = away_from_home(
                begin_at,
                as_datetime(finish) or begin_at,
                homes[elder_id],
                positions[elder_id],
                radius_m=radius,
            )
            if found is not None:
                run.hold(
                    (VISIT, source_id),
                    HoldReason.ELDER_AWAY,
                    at=found[0].isoformat(),
                    metres=found[1],
                )


def hold_certificates(run: Run) -> None:
    """The caregiver's certificate (of the kind the service needs, else any) had lapsed
    on the day: judged once per caregiver, day and kind, then joined to the units."""
    held: dict[int, list[tuple[str, datetime.date | None, datetime.date | None]]] = defaultdict(
        list
    )
    for cid, kind, issued, expires in Certificate.objects.values_list(
        "caregiver_id", "qualification", "issued_on", "expires_on"
    ):
        held[cid].append((kind, issued, expires))
    if not held:
        return
    spans = []
    for caregiver_id, day, required in run.fetch(
        f"SELECT DISTINCT caregiver_id, day, required FROM {UNIT} WHERE kind = %s "  # noqa: S608
        f"AND caregiver_id IN (SELECT caregiver_id FROM {Certificate._meta.db_table})",
        [VISIT],
    ):
        lapsed = certificate_lapsed(as_date(day), held[caregiver_id], required or "")
        if lapsed is not None:
            detail = json.dumps({"expired_on": lapsed.isoformat()})
            spans.append(
                (
                    "certificate",
                    caregiver_id,
                    run.date(as_date(day)),
                    run.date(as_date(day)),
                    required or "",
                    detail,
                )
            )
    _hold_by_spans(
        run,
        spans,
        HoldReason.CERTIFICATE_EXPIRED,
        "s.subject = u.caregiver_id AND u.day = s.since AND u.required = s.tag AND u.kind = %s",
        [VISIT],
    )


def _hold_by_spans(
    run: Run, spans: list[tuple[Any, ...]], reason: str, join: str, params: list[Any]
) -> None:
    """Hold the units matching any of ``spans`` (rows of the span table) by a join."""
    if not spans:
        return
    run.insert(SPAN, ("rule", "subject", "since", "until", "tag", "detail"), spans)
    for kind, source_id, detail in run.fetch(
        f"SELECT u.kind, u.source_id, s.detail FROM {UNIT} u JOIN {SPAN} s ON s.rule = %s "  # noqa: S608
        f"AND {join}",
        [spans[0][0], *params],
    ):
        # Trusted: the detail JSON this module wrote into its own scratch table.
        run.hold((kind, source_id), reason, **json.loads(detail))  # noqa: TID251


# ---- rules for every kind of unit --------------------------------------------------------


def general_holds(run: Run) -> None:
    hold_unavailable(run)
    hold_duplicates(run)
    hold_allowance(run)


def _unit_elders(run: Run, condition: str = "1 = 1") -> list[int]:
    return [row[0] for row in run.fetch(f"SELECT DISTINCT elder_id FROM {UNIT} WHERE {condition}")]  # noqa: S608


def hold_unavailable(run: Run) -> None:
    """The registry had the elder in hospital, in an institution, deceased or moved out
    on the day. Only elders whose status is not active now, or changed lately, can be:
    their status periods are read from the registry's history and joined to the units."""
    since = datetime.datetime.combine(
        run.first - datetime.timedelta(days=62), datetime.time.min, tzinfo=datetime.UTC
    )
    candidates = {
        row[0]
        for row in run.fetch(
            f"SELECT DISTINCT u.elder_id FROM {UNIT} u JOIN {Elder._meta.db_table} e "  # noqa: S608
            "ON e.id = u.elder_id WHERE e.status <> %s",
            ["active"],
        )
    }
    changed = AuditEvent.objects.filter(
        object_type="elders.elder", at__gte=since, changes__has_key="status"
    ).values_list("object_id", flat=True)
    recent = list({str(o) for o in changed})
    for i in range(0, len(recent), CHUNK):
        candidates.update(
            Elder.objects.filter(external_id__in=recent[i : i + CHUNK]).values_list("id", flat=True)
        )
    spans = []
    away: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for elder_id, timeline in elder_status_timelines(candidates).items():
        for n, (start, status) in enumerate(timeline):
            if status not in UNAVAILABLE:
                continue
            until = timeline[n + 1][0] if n + 1 < len(timeline) else datetime.date.max
            if until > start:
                away[elder_id].append((start, until))
                spans.append(
                    (
                        "unavailable",
                        elder_id,
                        run.date(start),
                        run.date(until),
                        "",
                        json.dumps({"status": status}),
                    )
                )
    # A unit of a day: away that day; a package (a month): away any day of its month.
    _hold_by_spans(
        run,
        spans,
        HoldReason.ELDER_UNAVAILABLE,
        "s.subject = u.elder_id AND ((u.kind <> %s AND u.day >= s.since AND u.day < s.until) "
        "OR (u.kind = %s AND s.since <= %s AND s.until > u.day))",
        [PACKAGE, PACKAGE, run.date(run.last)],
    )
    package_shares(run, away)


def hold_duplicates(run: Run) -> None:
    """The same service for the same elder on the same day at an overlapping time: each
    copy after the first (by start, then id) is held, naming the first it overlaps."""
    earlier = (
        "((a.start_at IS NULL AND b.start_at IS NOT NULL) OR (a.start_at IS NULL AND "
        "b.start_at IS NULL AND a.source_id < b.source_id) OR a.start_at < b.start_at OR "
        "(a.start_at = b.start_at AND a.source_id < b.source_id))"
    )
    overlaps = (
        "(a.start_at IS NULL OR b.start_at IS NULL OR a.start_at = b.start_at OR "
        "(a.start_at < COALESCE(b.end_at, b.start_at) AND b.start_at < "
        "COALESCE(a.end_at, a.start_at)))"
    )
    # Only elders with two units on a day can have a duplicate: found first by the
    # (elder, day) index, so the self-join runs over a handful of rows.
    rows = run.fetch(
        f"WITH g AS (SELECT elder_id, day FROM {UNIT} GROUP BY elder_id, day "  # noqa: S608
        f"HAVING COUNT(*) > 1), d AS (SELECT u.* FROM {UNIT} u JOIN g ON "
        "g.elder_id = u.elder_id AND g.day = u.day) "
        "SELECT b.kind, b.source_id, a.source_id, a.start_at FROM d a JOIN d b "
        "ON a.elder_id = b.elder_id AND a.day = b.day AND a.kind = b.kind "
        "AND COALESCE(a.item_id, 0) = COALESCE(b.item_id, 0) AND a.source_id <> b.source_id "
        f"WHERE {earlier} AND {overlaps}"
    )
    first: dict[tuple[str, int], tuple[tuple[bool, Any, int], int]] = {}
    for kind, source_id, other, other_start in rows:
        at = as_datetime(other_start)
        order = (at is not None, at, other)
        key = (kind, source_id)
        if key not in first or order < first[key][0]:
            first[key] = (order, other)
    for (kind, source_id), (_order, other) in first.items():
        run.hold((kind, source_id), HoldReason.DUPLICATE, of=other, kind=kind)


def hold_allowance(run: Run) -> None:
    """Units whose allowance takes the elder's month past the entitlement (a running sum
    in date order; those within it stay payable). Sums are in whole fen: exact."""
    # The home-care allowance: visits and packages only (a meal's subsidy is capped at the counter).
    # A monthly package is paid from the same allowance.
    visits = f"allowance > 0 AND kind IN ('{VISIT}', '{PACKAGE}')"
    claimed = _unit_elders(run, visits)
    limits = monthly_entitlements(claimed, run.last)
    run.insert(
        LIMIT,
        ("elder_id", "limit_fen"),
        [(e, int(amount * 100)) for e, amount in limits.items() if amount is not None],
    )
    fen = "CAST(ROUND(allowance * 100) AS BIGINT)"
    for kind, source_id, used, limit in run.fetch(
        f"WITH a AS (SELECT kind, source_id, elder_id, SUM({fen}) OVER (PARTITION BY "  # noqa: S608
        "elder_id ORDER BY day, start_at NULLS FIRST, source_id, kind ROWS UNBOUNDED "
        f"PRECEDING) AS used FROM {UNIT} WHERE {visits}) "
        f"SELECT a.kind, a.source_id, a.used, COALESCE(l.limit_fen, 0) FROM a "
        f"LEFT JOIN {LIMIT} l ON l.elder_id = a.elder_id WHERE a.used > COALESCE(l.limit_fen, 0)"
    ):
        run.hold(
            (kind, source_id),
            HoldReason.ALLOWANCE_EXCEEDED,
            limit=str(yuan_of_fen(limit)),
            total=str(yuan_of_fen(used)),
        )
