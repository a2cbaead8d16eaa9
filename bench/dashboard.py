#!/usr/bin/env python
"""The city's picture at scale: the indicator API at city, district and street level, the
nightly refresh of the running month's snapshots, and the same figures computed straight
from the raw tables for comparison.

    .venv/bin/python bench/dashboard.py --database-url postgres://postgres@127.0.0.1:5432/yiyang_bench_dashboard [--scale 1.0] [--reuse]

Builds the demo city's divisions and organisations, then (in SQL, as the elder-list
benchmark's replication does) ``--scale`` x (900,000 elders, 10 million visits over a
year, 5 million alerts over a year). Takes the snapshots of the last twelve months and times
the nightly refresh of the running month (limit 60 s), then times the indicator API (limit
p95 < 200 ms) for several indicators at every level, and the same values computed live from
the raw tables. Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.organisation_list import machine, recreate_postgres  # noqa: E402

API_LIMIT_MS = 200.0
REFRESH_LIMIT_S = 60.0
ELDERS, VISITS, ALERTS = 900_000, 10_000_000, 5_000_000
CODES = (
    "registered_elders",
    "visits_delivered",
    "visits_missed_share",
    "alerts_answered_60s",
    "station_coverage",
    "caregivers_per_1000",
)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the full city")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--history-months", type=int, default=12)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when over a limit")
    return parser.parse_args()


def _defaults(model: Any, overrides: dict[str, str]) -> tuple[list[str], list[str]]:
    """Columns and SQL expressions for every non-null column of ``model``: the overrides,
    else a plain value by the field's type."""
    from django.db import models

    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.column == "id":
            continue
        if f.column in overrides:
            expression = overrides[f.column]
        elif f.null:
            continue
        elif isinstance(f, models.UUIDField):
            expression = "gen_random_uuid()"
        elif isinstance(f, models.DateTimeField):
            expression = "now()"
        elif isinstance(f, models.BooleanField):
            expression = "false"
        elif isinstance(f, models.DecimalField | models.IntegerField | models.FloatField):
            expression = "0"
        elif isinstance(f, models.JSONField):
            expression = "'[]'::jsonb"
        else:
            expression = "''"
        columns.append(f'"{f.column}"')
        values.append(expression)
    return columns, values


def insert(
    cursor: Any,
    model: Any,
    count: int,
    overrides: dict[str, str],
    source: str,
    chunk: int = 1_000_000,
) -> None:
    """INSERT ``count`` generated rows in chunks; ``source`` is the FROM clause over
    ``generate_series(...) AS g`` (``{lo}``/``{hi}`` are the chunk's bounds)."""
    columns, values = _defaults(model, overrides)
    table = model._meta.db_table
    for lo in range(1, count + 1, chunk):
        hi = min(count, lo + chunk - 1)
        started = time.monotonic()
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
            f"FROM {source.format(lo=lo, hi=hi)}"
        )
        print(f"  {table}: {hi:,} ({time.monotonic() - started:.0f} s)", file=sys.stderr)


def build(scale: float) -> dict[str, int]:
    from django.db import connection

    from yiyang.alerts.models import Alert
    from yiyang.elders.models import Elder
    from yiyang.services.models import ServiceItem
    from yiyang.visits.models import Order, Visit

    elders, visits, alerts = int(ELDERS * scale), int(VISITS * scale), int(ALERTS * scale)
    orders = max(1, elders // 3)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE c AS SELECT array_agg(id ORDER BY id) AS ids, "
            "array_agg(code ORDER BY id) AS codes, count(*)::int AS n "
            "FROM core_division WHERE level = 'community'"
        )
        insert(
            cursor,
            Elder,
            elders,
            {
                "name": "'老人' || g",
                "name_initials": "'LR'",
                "id_number_ciphertext": "'x'",
                "id_number_hash": "md5(g::text)",
                "id_number_masked": "'x'",
                "sex": "CASE WHEN g % 2 = 0 THEN 'female' ELSE 'male' END",
                "birth_date": "date '1926-01-01' + (random() * 13000)::int",
                "community_id": "c.ids[1 + g % c.n]",
                "division_code": "c.codes[1 + g % c.n]",
                "living_arrangement": "(ARRAY['alone','spouse_only','with_children','other'])"
                "[1 + (random() * 3)::int]",
                "economic_status": "(ARRAY['none','none','none','minimum_living','extremely_poor'])"
                "[1 + (random() * 4)::int]",
                "ability_level": "(ARRAY['','','intact','mild','moderate','severe','complete'])"
                "[1 + (random() * 6)::int]",
                "status": "'active'",
                "created_at": "now() - interval '400 days'",
            },
            "generate_series({lo}, {hi}) AS g, c",
        )
        cursor.execute("SELECT min(id) FROM elders_elder")
        first_elder = cursor.fetchone()[0]
        city = connection.cursor()
        city.execute("SELECT id FROM core_division WHERE level = 'city' ORDER BY code LIMIT 1")
        city_id = city.fetchone()[0]
        cursor.execute(
            "SELECT array_agg(id) FROM organisations_organisation WHERE kind = 'home_care_company'"
        )
        providers = cursor.fetchone()[0]
        item = ServiceItem.objects.create(
            city_id=city_id,
            category="cleaning",
            code="BENCH",
            name="bench",
            unit="visit",
            standard_minutes=60,
            standard_price=50,
        )
        insert(
            cursor,
            Order,
            orders,
            {
                "elder_id": "e.id",
                "division_code": "e.division_code",
                "provider_id": f"(ARRAY{providers})[1 + e.id % {len(providers)}]",
                "item_id": str(item.pk),
                "kind": "'plan'",
                "placed_via": "'community_worker'",
                "starts_on": "current_date - 365",
                "ends_on": "current_date",
                "window_start": "time '09:00'",
                "window_end": "time '11:00'",
                "status": "'active'",
                "weekdays": "'[0,1,2,3,4,5,6]'::jsonb",
            },
            f"generate_series({{lo}}, {{hi}}) AS g JOIN elders_elder e ON e.id = {first_elder} + g * 3 - 3",
        )
        cursor.execute("SELECT min(id) FROM visits_order")
        first_order = cursor.fetchone()[0]
        day = "(current_date - (g % 365))"
        insert(
            cursor,
            Visit,
            visits,
            {
                "order_id": "o.id",
                "elder_id": "o.elder_id",
                "division_code": "o.division_code",
                "provider_id": "o.provider_id",
                "item_id": "o.item_id",
                "date": day,
                "window_start": f"{day} + time '09:00'",
                "window_end": f"{day} + time '11:00'",
                "standard_minutes": "60",
                "status": "CASE WHEN g % 365 = 0 THEN 'scheduled' WHEN g % 50 = 1 THEN 'missed' "
                "ELSE 'confirmed' END",
                "is_late": "g % 20 = 3",
                "outcome": "'done'",
                "review_status": "'none'",
                "check_in_at": f"{day} + time '09:05'",
            },
            f"generate_series({{lo}}, {{hi}}) AS g JOIN visits_order o ON o.id = {first_order} + g % {orders}",
        )
        raised = "(now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second')"
        insert(
            cursor,
            Alert,
            alerts,
            {
                "elder_id": "e.id",
                "division_code": "e.division_code",
                "kind": "(ARRAY['sos','fall','device_silent','heart_rate','low_battery'])[1 + g % 5]",
                "priority": "1",
                "status": "'resolved'",
                "source": "'device'",
                "dedupe_key": "g::text",
                "event_count": "1",
                "tier": "0",
                "raised_at": raised,
                "first_event_at": raised,
                "last_event_at": raised,
                "acknowledged_at": f"{raised} + (10 + g % 200) * interval '1 second'",
            },
            f"generate_series({{lo}}, {{hi}}) AS g JOIN elders_elder e ON e.id = {first_elder} + g % {elders}",
        )
        for table in ("elders_elder", "visits_order", "visits_visit", "alerts_alert"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return {"elders": elders, "orders": orders, "visits": visits, "alerts": alerts}


def timed(fn: Any, repeat: int) -> dict[str, float]:
    timings = []
    for _ in range(repeat):
        begin = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - begin) * 1000)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "max_ms": round(timings[-1], 1),
    }


def main() -> int:
    args = parse()
    tmp = tempfile.mkdtemp(prefix="yiyang-bench-")
    if not args.reuse:
        recreate_postgres(args.database_url)
    os.environ.update(
        {
            "YIYANG_MODE": "test",
            "DATABASE_URL": args.database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "YIYANG_VAR_DIR": tmp,
            "YIYANG_2FA_REQUIRED_ROLES": "",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from yiyang.accounts.models import User
    from yiyang.core.indicators import Period, catalogue
    from yiyang.core.models import Division
    from yiyang.demo.services import demo_city_build
    from yiyang.elders.models import Elder
    from yiyang.indicators.models import IndicatorSnapshot
    from yiyang.indicators.selectors import current_month, month_add
    from yiyang.indicators.services import snapshot_take

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    if not Elder.objects.exists():
        demo_city_build(seed=1)
        sizes = build(args.scale)
    else:
        sizes = {"elders": Elder.objects.count()}
    built_s = round(time.monotonic() - started)
    print(f"data ready in {built_s} s: {sizes}", file=sys.stderr)
    month = current_month()
    history = {}
    for back in range(args.history_months - 1, 0, -1):
        past = month_add(month, -back)
        if not IndicatorSnapshot.objects.filter(month=past).exists():
            result = snapshot_take(month=past, rebuild=True)
            history[f"{past:%Y-%m}"] = result["seconds"]
            print(f"  snapshot {past:%Y-%m}: {result['seconds']} s", file=sys.stderr)
    refresh = snapshot_take(month=month)
    print(f"nightly refresh: {refresh['seconds']} s, slowest {refresh['slowest']}", file=sys.stderr)

    city = Division.objects.get(level="city", code__startswith="4")
    district = User.objects.get(username="district_officer").division
    street = User.objects.get(username="street_officer").division
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="city_admin"))
    first = month_add(month, -(args.history_months - 1))
    api: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for code in CODES:
        indicator = catalogue()[code]
        for level_name, division in (("city", city), ("district", district), ("street", street)):
            assert division is not None
            children = (
                "district"
                if level_name == "city"
                else ("street" if level_name == "district" else "community")
            )
            paths = {
                "trend": f"/api/v1/indicators/{code}/values/?division={division.code}"
                f"&from={first:%Y-%m}",
                "ranking": f"/api/v1/indicators/{code}/values/?division={division.code}"
                f"&level={children}",
            }
            for name, path in paths.items():
                assert client.get(path).status_code == 200, path
                api[f"{code}:{level_name}:{name}"] = timed(
                    lambda p=path: client.get(p), args.requests
                )
            raw[f"{code}:{level_name}"] = timed(
                lambda i=indicator, d=division: i.compute(Period.of(month), [d]), 3
            )
            print(
                f"  {code} {level_name}: api {api[f'{code}:{level_name}:trend']} "
                f"raw {raw[f'{code}:{level_name}']}",
                file=sys.stderr,
            )
    pages: dict[str, Any] = {}
    for level_name, division in (("city", city), ("district", district), ("street", street)):
        assert division is not None
        path = f"/dashboard/?division={division.code}"
        if client.get(path).status_code != 200:  # the dashboard app is not installed
            break
        pages[f"dashboard:{level_name}"] = timed(lambda p=path: client.get(p), args.requests)
        print(f"  dashboard {level_name}: {pages[f'dashboard:{level_name}']}", file=sys.stderr)
    worst = max(r["p95_ms"] for r in [*api.values(), *pages.values()])
    summary = {
        "benchmark": "dashboard",
        "database": connection.vendor,
        "scale": args.scale,
        "sizes": sizes,
        "build_s": built_s,
        "snapshot_rows": IndicatorSnapshot.objects.count(),
        "indicators": len(catalogue()),
        "history_snapshot_s": history,
        "nightly_refresh_s": refresh["seconds"],
        "refresh_slowest": refresh["slowest"],
        "refresh_limit_s": REFRESH_LIMIT_S,
        "api": api,
        "api_worst_p95_ms": worst,
        "api_p95_limit_ms": API_LIMIT_MS,
        "pages": pages,
        "raw_single_division_ms": raw,
        "pass": worst < API_LIMIT_MS and refresh["seconds"] < REFRESH_LIMIT_S,
        "machine": machine(),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if args.strict and not summary["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
