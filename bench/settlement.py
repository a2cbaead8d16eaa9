#!/usr/bin/env python
"""Settling a city month: statements for every provider, held lines, risk scores.

    .venv/bin/python bench/settlement.py --database-url postgres://postgres@127.0.0.1:5432/yiyang_bench_settlement [--visits 1000000] [--providers 200]
    .venv/bin/python bench/settlement.py --small      # SQLite, 50,000 visits in a temporary file
    .venv/bin/python bench/settlement.py --database-url ... --reuse   # settle the built month again

Builds a city of 10 districts, 40 streets and 200 communities, the service list, N
providers (one contract each, with its district as buyer and area), 20 caregivers each,
elders (one for every 20 visits, written straight into the table with placeholder
ciphertexts), one order per elder and the month's confirmed visits (COPY on PostgreSQL):
a few awaiting review or rejected (with a flag), elders in hospital from mid-month, some
elders over their allowance, caregivers checked in twice at once. Then it times, once:

- ``settle_month`` for the month (one transaction: lines, holds, totals, risk scores);
- the review queue page (``/settlement/review/``) as a district officer, a street officer
  and the city administrator, p95 of N requests each.

Limits (issue 14): the month < 60 s; the review queue p95 < 200 ms.
Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.organisation_list import machine, recreate_postgres  # noqa: E402

MONTH_LIMIT_S = 60.0
QUEUE_LIMIT_MS = 200.0
CAREGIVERS = 20
VISITS_PER_ELDER = 20


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--small", action="store_true", help="SQLite-sized: 50,000 visits")
    parser.add_argument("--visits", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--providers", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--strict", action="store_true", help="exit 1 when over a limit")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database built by an earlier run: clear its statements and settle again",
    )
    args = parser.parse_args()
    args.visits = args.visits or (50_000 if args.small else 1_000_000)
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_rows(model: Any, rows: Iterator[dict[str, Any]]) -> int:
    """COPY on PostgreSQL, executemany elsewhere; every concrete column but the key."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    table = model._meta.db_table
    written = 0
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        json_columns = {f.column for f in fields if f.get_internal_type() == "JSONField"}
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    [Jsonb(row.get(c, [])) if c in json_columns else row.get(c) for c in columns]
                )
                written += 1
        return written
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append([f.get_db_prep_save(row.get(f.column), connection) for f in fields])
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch.clear()
        cursor.executemany(sql, batch)
        written += len(batch)
    return written


def build_places(rng: random.Random) -> dict[str, Any]:
    from yiyang.core.models import Division

    city = Division.objects.create(code="419900000000", name="结算市", level="city")
    districts, streets, communities = [], [], []
    for d in range(1, 11):
        district = Division.objects.create(
            code=f"4199{d:02d}000000", name=f"区{d}", level="district", parent=city
        )
        districts.append(district)
        for s in range(1, 5):
            street = Division.objects.create(
                code=f"4199{d:02d}{s:03d}000", name=f"街{d}-{s}", level="street", parent=district
            )
            streets.append(street)
            for c in range(1, 6):
                communities.append(
                    Division.objects.create(
                        code=f"4199{d:02d}{s:03d}{c:03d}",
                        name=f"社区{d}-{s}-{c}",
                        level="community",
                        parent=street,
                    )
                )
    return {"city": city, "districts": districts, "streets": streets, "communities": communities}


def build(args: argparse.Namespace) -> dict[str, Any]:
    from yiyang.assessments.models import EligibilityRule
    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.elders.models import Elder
    from yiyang.organisations.models import Organisation
    from yiyang.services import services as catalogue
    from yiyang.services.models import Caregiver, ServiceItem
    from yiyang.settlement import services
    from yiyang.settlement.services.schedule import previous_month
    from yiyang.visits.models import Order, Visit, VisitFlag

    rng = random.Random(args.seed)
    started = time.monotonic()
    places = build_places(rng)
    city = places["city"]
    admin = SystemActor(Scope(division_prefix=city.code_prefix), username="bench")
    catalogue.service_list_load(actor=admin, city=city)
    items = list(ServiceItem.objects.filter(city=city, code__in=["JW03", "ZY01", "ZY02", "ZJ01"]))
    month = previous_month()
    first = month
    days = ((first + datetime.timedelta(days=32)).replace(day=1) - first).days
    EligibilityRule.objects.create(
        name="补贴",
        entitlement="home_care_allowance",
        amount_yuan=Decimal("600.00"),
        unit="per_month",
        min_level=0,
        max_level=4,
        min_age=60,
        valid_from=datetime.date(2020, 1, 1),
    )
    line = services.budget_line_create(
        actor=admin,
        city=city,
        source="central",
        year=month.year,
        purpose="home_care",
        name="中央居家养老补助",
        amount_yuan="28000000.00",
    )
    providers = []
    for p in range(args.providers):
        district = places["districts"][p % 10]
        community = places["communities"][(p % 10) * 20 + (p // 10) % 20]
        provider = Organisation.objects.create(
            name=f"居家服务公司{p}",
            kind="home_care_company",
            ownership="private",
            division=community,
        )
        providers.append(provider)
        services.contract_create(
            actor=admin,
            number=f"HT-{p:04d}",
            buyer=district,
            provider=provider,
            budget_line=line,
            starts_on=first - datetime.timedelta(days=100),
            ends_on=first + datetime.timedelta(days=300),
            cap_yuan="10000000.00",
            prices={i: i.standard_price for i in items},
            areas=[district],
        )
    Caregiver.objects.bulk_create(
        Caregiver(provider=p, name=f"护理员{p.pk}-{k}", work_start="07:00", work_end="20:00")
        for p in providers
        for k in range(CAREGIVERS)
    )
    team: dict[int, list[int]] = {}
    for cid, pid in Caregiver.objects.filter(provider__in=providers).values_list(
        "id", "provider_id"
    ):
        team.setdefault(pid, []).append(cid)
    n_elders = max(1, args.visits // VISITS_PER_ELDER)
    log(f"places, contracts and caregivers ({time.monotonic() - started:.0f} s); {n_elders} elders")
    now = datetime.datetime.now(datetime.UTC)
    per_district: dict[int, list[Any]] = {}
    for p in providers:
        per_district.setdefault(int(p.division.code[4:6]), []).append(p)

    def elders() -> Iterator[dict[str, Any]]:
        for e in range(n_elders):
            community = places["communities"][e % 200]
            hospital = e % 200 == 7
            yield {
                "external_id": uuid.uuid4(),
                "created_at": now,
                "updated_at": now,
                "name": f"老人{e}",
                "name_initials": "LR",
                "id_number_ciphertext": "x",
                "id_number_hash": f"bench{e:08d}",
                "id_number_masked": "4199**********0000",
                "sex": "female",
                "birth_date": datetime.date(1940, 1, 1),
                "ethnicity": "",
                "phones_ciphertext": "",
                "phones_masked": "",
                "community_id": community.pk,
                "division_code": community.code,
                "address": "",
                "lat": Decimal("34.750000"),
                "lng": Decimal("113.650000"),
                "living_arrangement": "",
                "marital_status": "",
                "economic_status": "none",
                "insurance_type": "",
                "insurance_number_ciphertext": "",
                "health_ciphertext": "",
                "ability_level": "moderate",
                "status": "in_hospital" if hospital else "active",
                "status_changed_on": first + datetime.timedelta(days=14) if hospital else None,
                "deceased_on": None,
                "duplicate_key": "",
                "import_digest": "",
                "duplicate_of_id": None,
            }

    write_rows(Elder, elders())
    elder_rows = list(
        Elder.objects.filter(division_code__startswith="4199")
        .values_list("id", "division_code")
        .order_by("id")
    )
    item = items[0]
    orders = Order.objects.bulk_create(
        Order(
            elder_id=eid,
            division_code=code,
            provider=per_district[int(code[4:6])][i % len(per_district[int(code[4:6])])],
            item=item,
            kind="plan",
            placed_via="worker",
            starts_on=first,
            ends_on=first + datetime.timedelta(days=days - 1),
            window_start=datetime.time(8),
            window_end=datetime.time(18),
            price=item.standard_price,
            allowance_yuan=Decimal("25.00"),
            ltc_yuan=Decimal("0.00"),
            self_pay_yuan=item.standard_price - Decimal("25.00"),
        )
        for i, (eid, code) in enumerate(elder_rows)
    )
    log(f"elders and orders ({time.monotonic() - started:.0f} s)")
    slot_of: dict[tuple[int, int], int] = {}

    def visits() -> Iterator[dict[str, Any]]:
        written = 0
        for order in orders:
            members = team[order.provider_id]
            for k in range(VISITS_PER_ELDER):
                if written >= args.visits:
                    return
                day = first + datetime.timedelta(
                    days=(k * days) // VISITS_PER_ELDER + rng.randint(0, 0)
                )
                key = (order.provider_id, day.toordinal())
                slot = slot_of[key] = slot_of.get(key, -1) + 1
                caregiver = members[slot % len(members)]
                hour = 7 + (slot // len(members)) % 13  # 13 hourly slots a day
                start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)
                roll = rng.random()
                minutes = 60 if roll > 0.01 else 15
                if 0.02 < roll < 0.025:  # checked in at an overlapping time elsewhere
                    start += datetime.timedelta(minutes=-30)
                allowance = Decimal("25.00") if roll < 0.97 else Decimal("150.00")
                written += 1
                yield {
                    "external_id": uuid.uuid4(),
                    "created_at": now,
                    "updated_at": now,
                    "order_id": order.pk,
                    "elder_id": order.elder_id,
                    "division_code": order.division_code,
                    "provider_id": order.provider_id,
                    "item_id": item.pk,
                    "date": day,
                    "window_start": start,
                    "window_end": start + datetime.timedelta(hours=2),
                    "standard_minutes": item.standard_minutes,
                    "needs_two": False,
                    "caregiver_id": caregiver,
                    "second_caregiver_id": None,
                    "status": "confirmed",
                    "check_in_at": start,
                    "check_in_lat": 34.75 + rng.uniform(-0.0005, 0.0005),
                    "check_in_lng": 113.65 + rng.uniform(-0.0005, 0.0005),
                    "check_in_accuracy": 10.0,
                    "check_in_distance": 20.0,
                    "check_out_at": start + datetime.timedelta(minutes=minutes),
                    "check_out_lat": 34.75,
                    "check_out_lng": 113.65,
                    "check_out_accuracy": 10.0,
                    "check_out_distance": 20.0,
                    "tasks_done": [],
                    "notes": "",
                    "outcome": "done",
                    "is_late": False,
                    "review_status": "pending"
                    if roll < 0.01
                    else ("rejected" if roll > 0.995 else "none"),
                    "price": item.standard_price,
                    "allowance_yuan": allowance,
                    "ltc_yuan": Decimal("0.00"),
                    "self_pay_yuan": item.standard_price - allowance,
                    "cancel_reason": "",
                    "short_notice": False,
                    "confirmed_at": start + datetime.timedelta(minutes=minutes + 5),
                }

    written = write_rows(Visit, visits())
    flagged = Visit.objects.filter(
        date__gte=first, review_status__in=["pending", "rejected"]
    ).values_list("id", flat=True)
    VisitFlag.objects.bulk_create(
        (VisitFlag(visit_id=v, code="too_short", detail="bench") for v in flagged), batch_size=5000
    )
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("visits_visit", "visits_order", "elders_elder", "visits_visitflag"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
    log(f"{written} visits written ({time.monotonic() - started:.0f} s)")
    return {"city": city, "month": month, "districts": places["districts"], "visits": written}


def reuse() -> dict[str, Any]:
    """The world an earlier run built, its statements cleared (TRUNCATE on PostgreSQL)."""
    from django.db import connection

    from yiyang.accounts.models import User
    from yiyang.core.models import Division
    from yiyang.settlement.services.schedule import previous_month
    from yiyang.visits.models import Visit

    tables = (
        "settlement_linedecision",
        "settlement_linehold",
        "settlement_streetverification",
        "settlement_statementline",
        "settlement_budgetoverride",
        "settlement_statement",
        "settlement_riskscore",
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
    User.objects.filter(username__startswith="bench_").delete()
    month = previous_month()
    city = Division.objects.get(code="419900000000")
    districts = list(Division.objects.filter(level="district", code__startswith="4199"))
    visits = Visit.objects.filter(date__gte=month).count()
    return {"city": city, "month": month, "districts": districts, "visits": visits}


def measure(args: argparse.Namespace, world: dict[str, Any]) -> dict[str, Any]:

    from yiyang.accounts.models import User
    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.settlement.models import Statement
    from yiyang.settlement.services import settle_month

    actor = SystemActor(Scope(division_prefix=world["city"].code_prefix), username="bench")
    started = time.perf_counter()
    result = settle_month(actor=actor, month=world["month"])
    seconds = time.perf_counter() - started
    log(
        f"settled: {len(result.statements)} statements, {result.lines} lines, {result.held} held in {seconds:.1f} s"
    )
    Statement.objects.filter(month=world["month"]).update(status="confirmed")
    district = world["districts"][0]
    from yiyang.core.models import Division

    street = Division.objects.filter(level="street", parent=district).order_by("code").first()
    readers = {
        "district": ("district_officer", district),
        "street": ("street_officer", street),
        "city": ("city_admin", world["city"]),
    }
    p95s: dict[str, float] = {}
    for name, (role, division) in readers.items():
        officer = User.objects.create(username=f"bench_{name}", role=role, division=division)
        p95s[name] = queue_p95(officer, args.requests)
        log(f"review queue p95 as {name}: {p95s[name]:.1f} ms")
    return {
        "bench": "settlement",
        "visits": world["visits"],
        "providers": args.providers,
        "statements": len(result.statements),
        "lines": result.lines,
        "held": result.held,
        "settle_seconds": round(seconds, 1),
        "settle_limit_s": MONTH_LIMIT_S,
        "review_queue_p95_ms": {k: round(v, 1) for k, v in p95s.items()},
        "review_queue_limit_ms": QUEUE_LIMIT_MS,
        "pass": seconds < MONTH_LIMIT_S and max(p95s.values()) < QUEUE_LIMIT_MS,
        "machine": machine(),
    }


def queue_p95(officer: Any, requests: int) -> float:
    from django.test import Client

    client = Client()
    client.force_login(officer)
    for _ in range(3):
        assert client.get("/settlement/review/").status_code == 200
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        client.get("/settlement/review/")
        times.append((time.perf_counter() - t) * 1000)
    return statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times)


def main() -> int:
    args = parse()
    tmp = tempfile.mkdtemp(prefix="yiyang-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    if url.startswith("postgres") and not args.reuse:
        recreate_postgres(url)
    os.environ.update(
        {
            "YIYANG_MODE": "test",
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "YIYANG_VAR_DIR": tmp,
            "YIYANG_2FA_REQUIRED_ROLES": "",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    world = reuse() if args.reuse else build(args)
    summary = measure(args, world)
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 1 if args.strict and not summary["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
