#!/usr/bin/env python
"""Home-care visits at city scale: the dispatch board, a caregiver's day, the monthly scan.

    .venv/bin/python bench/visits.py --database-url postgres://postgres@127.0.0.1:5432/yiyang_bench_visits [--visits 1000000] [--reuse]
    .venv/bin/python bench/visits.py --small       # SQLite, 100,000 visits in a temporary file

Builds the demo city, N generated elders (through the import path, as `yiyang seed-demo
--elders N` does), the city's service list, 100 providers (the demo's home-care companies and
community stations) each with 30 caregivers, care plans of two visits a week, and the visits
of 100 days (70 behind, 30 ahead): the past ones checked in and out near the elder's address
(a few out of range, too short, missed or cancelled), today's partly done, the future ones
assigned or not yet. Visits and orders are written with COPY on PostgreSQL (executemany on
SQLite); --reuse keeps an existing database. Then it times, after warm-up:

- the dispatch board of one provider for one day (`dispatch_board`), the visits API for the
  day as the provider manager, and the board page when the web app has it;
- a caregiver's day (`caregiver_day`), `GET /api/v1/visits/?date=` as the caregiver, and the
  phone page when the web app has it;
- the exception scan of the 30 days before today (`visits_scan`), in a transaction rolled
  back afterwards so that a re-run scans the same month.

Limits: p95 < 150 ms for the board and the caregiver's day; the month's scan < 30 s.
Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.organisation_list import machine, recreate_postgres  # noqa: E402

LIMIT_MS = 150.0
SCAN_LIMIT_S = 30.0
PROVIDERS = 100
CAREGIVERS_PER_PROVIDER = 30
DAYS_BEHIND, DAYS_AHEAD = 70, 30
# Six windows of 90 minutes a day; services of at most an hour, so that the caregivers a
# provider sends to one window (about 25 of its 30) are free again for the next one.
SLOTS = [
    ("08:00", "09:30"),
    ("09:30", "11:00"),
    ("11:00", "12:30"),
    ("13:00", "14:30"),
    ("14:30", "16:00"),
    ("16:00", "17:30"),
]
WEEKDAY_PAIRS = [(0, 3), (1, 4), (2, 5), (0, 4), (1, 3), (2, 4), (3, 6), (1, 5)]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--small", action="store_true", help="SQLite-sized: 100,000 visits")
    parser.add_argument("--visits", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--elders", type=int, default=None, help="default 30,000")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when over a limit")
    args = parser.parse_args()
    args.visits = args.visits or (100_000 if args.small else 1_000_000)
    args.elders = args.elders or (5_000 if args.small else 30_000)
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _near(rng: random.Random, lat: float, lng: float, metres: float) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(angle) / 111_320
    dlng = metres * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lng + dlng, 6)


def build(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.utils import timezone

    from yiyang.core.models import Division
    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.demo.services import demo_city_build, demo_elders_build
    from yiyang.elders.models import Elder
    from yiyang.organisations.models import Organisation
    from yiyang.services.models import Caregiver, ServiceArea, ServiceItem, ServiceOffering
    from yiyang.services.services import service_list_load
    from yiyang.visits.models import Order, Visit
    from yiyang.visits.rules import distance_m

    rng = random.Random(args.seed)
    started = time.monotonic()
    demo_city_build(seed=1)

    def progress(done: int) -> None:
        if done % 10_000 == 0:
            log(f"  {done} elders ({time.monotonic() - started:.0f} s)")

    demo_elders_build(count=args.elders, seed=1, progress=progress)
    city = Division.objects.get(level="city", code__startswith="4191")
    service_list_load(actor=SystemActor(Scope(division_prefix="4191")), city=city)
    items = [i for i in ServiceItem.objects.filter(city=city) if i.standard_minutes <= 60]
    providers = list(
        Organisation.objects.filter(kind__in=["home_care_company", "community_station"])
        .select_related("division")
        .order_by("kind", "id")[:PROVIDERS]
    )
    districts = {p.pk: Division.objects.get(code=p.division.code[:6] + "000000") for p in providers}
    ServiceArea.objects.bulk_create(
        [
            ServiceArea(provider=p, division=districts[p.pk], code_prefix=districts[p.pk].code[:6])
            for p in providers
        ],
        ignore_conflicts=True,
    )
    ServiceOffering.objects.bulk_create(
        [
            ServiceOffering(provider=p, item=i, price=i.standard_price)
            for p in providers
            for i in items
        ],
        ignore_conflicts=True,
    )
    caregivers: dict[int, list[int]] = {}
    rows = []
    for p in providers:
        lat, lng = float(p.lat or 34.75), float(p.lng or 113.65)
        for n in range(CAREGIVERS_PER_PROVIDER):
            rows.append(
                Caregiver(
                    provider=p,
                    name=f"护理员{p.pk}-{n:02d}",
                    skills=["bathing", "cleaning"],
                    work_days=[0, 1, 2, 3, 4, 5, 6],
                    work_start=datetime.time(8),
                    work_end=datetime.time(17, 30),
                    max_minutes_per_day=480,
                    home_lat=Decimal(f"{lat + rng.uniform(-0.02, 0.02):.6f}"),
                    home_lng=Decimal(f"{lng + rng.uniform(-0.02, 0.02):.6f}"),
                )
            )
    Caregiver.objects.bulk_create(rows, batch_size=1000)
    for c in Caregiver.objects.filter(provider__in=providers).order_by("id"):
        caregivers.setdefault(c.provider_id, []).append(c.pk)
    elders_by_district: dict[str, list[tuple[int, str, float, float]]] = {}
    for pk, code, lat, lng in Elder.objects.filter(lat__isnull=False, status="active").values_list(
        "id", "division_code", "lat", "lng"
    ):
        elders_by_district.setdefault(code[:6], []).append((pk, code, float(lat), float(lng)))
    today = timezone.localdate()
    first = today - datetime.timedelta(days=DAYS_BEHIND)
    last = today + datetime.timedelta(days=DAYS_AHEAD - 1)
    per_plan = 2 * (DAYS_BEHIND + DAYS_AHEAD) / 7
    plan_count = round(args.visits / per_plan)
    log(f"{plan_count} care plans for about {args.visits} visits")
    now = timezone.now()
    plans = []
    for _ in range(plan_count):
        provider = rng.choice(providers)
        elder = rng.choice(elders_by_district[districts[provider.pk].code[:6]])
        item = rng.choice(items)
        slot = rng.randrange(len(SLOTS))
        plans.append((provider, elder, item, slot, rng.choice(WEEKDAY_PAIRS)))
    orders = [
        Order(
            elder_id=elder[0],
            division_code=elder[1],
            provider=provider,
            item=item,
            kind="plan",
            placed_via="community_worker",
            starts_on=first,
            ends_on=last,
            weekdays=list(days),
            window_start=datetime.time.fromisoformat(SLOTS[slot][0]),
            window_end=datetime.time.fromisoformat(SLOTS[slot][1]),
            price=item.standard_price,
            allowance_yuan=Decimal(0),
            ltc_yuan=Decimal(0),
            self_pay_yuan=item.standard_price,
        )
        for provider, elder, item, slot, days in plans
    ]
    Order.objects.bulk_create(orders, batch_size=2000)
    log(f"orders written ({time.monotonic() - started:.0f} s)")
    fields = [f for f in Visit._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    load: dict[tuple[int, datetime.date, int], int] = {}
    windows = {}
    for day_offset in range(DAYS_BEHIND + DAYS_AHEAD):
        day = first + datetime.timedelta(days=day_offset)
        for s, (a, b) in enumerate(SLOTS):
            windows[(day, s)] = (
                timezone.make_aware(datetime.datetime.combine(day, datetime.time.fromisoformat(a))),
                timezone.make_aware(datetime.datetime.combine(day, datetime.time.fromisoformat(b))),
            )

    def visits() -> Iterator[dict[str, Any]]:
        for order, (provider, elder, item, slot, days) in zip(orders, plans, strict=True):
            day = first + datetime.timedelta(days=(days[0] - first.weekday()) % 7)
            while day <= last:
                for weekday in days:
                    d = day + datetime.timedelta(days=(weekday - days[0]))
                    if d > last:
                        continue
                    yield _visit(order, provider, elder, item, slot, d)
                day += datetime.timedelta(days=7)

    def _visit(
        order: Any, provider: Any, elder: Any, item: Any, slot: int, day: datetime.date
    ) -> dict[str, Any]:
        start, end = windows[(day, slot)]
        key = (provider.pk, day, slot)
        k = load[key] = load.get(key, -1) + 1
        team = caregivers[provider.pk]
        row: dict[str, Any] = {
            "external_id": uuid.uuid4(),
            "created_at": now,
            "updated_at": now,
            "order_id": order.pk,
            "elder_id": elder[0],
            "division_code": elder[1],
            "provider_id": provider.pk,
            "item_id": item.pk,
            "date": day,
            "window_start": start,
            "window_end": end,
            "standard_minutes": item.standard_minutes,
            "needs_two": False,
            "caregiver_id": team[k % len(team)],
            "second_caregiver_id": None,
            "status": "assigned",
            "tasks_done": [],
            "notes": "",
            "outcome": "",
            "is_late": False,
            "review_status": "none",
            "price": item.standard_price,
            "allowance_yuan": Decimal(0),
            "ltc_yuan": Decimal(0),
            "self_pay_yuan": item.standard_price,
            "cancel_reason": "",
            "short_notice": False,
        }
        roll = rng.random()
        if day > today or (day == today and start > now):
            if roll < 0.2 and day > today + datetime.timedelta(days=1):
                row["caregiver_id"], row["status"] = None, "scheduled"
            return row
        if roll < 0.02:
            row.update(
                status="cancelled",
                cancelled_at=start - datetime.timedelta(days=1),
                cancel_reason="老人住院",
            )
            return row
        if roll < 0.045:
            row.update(
                status="missed",
                is_late=True,
                late_notified_at=start + datetime.timedelta(minutes=15),
            )
            return row
        late = roll > 0.93
        check_in = start + datetime.timedelta(
            minutes=rng.randint(17, 45) if late else rng.randint(-5, 10)
        )
        minutes = item.standard_minutes * (
            rng.uniform(0.25, 0.45) if roll > 0.985 else rng.uniform(0.8, 1.15)
        )
        check_out = check_in + datetime.timedelta(minutes=minutes)
        far = 0.05 < roll < 0.08
        in_lat, in_lng = _near(
            rng, elder[2], elder[3], rng.uniform(250, 800) if far else rng.uniform(3, 60)
        )
        out_lat, out_lng = _near(rng, elder[2], elder[3], rng.uniform(3, 60))
        row.update(
            check_in_at=check_in,
            check_in_lat=in_lat,
            check_in_lng=in_lng,
            check_in_accuracy=round(rng.uniform(5, 40), 1),
            check_in_distance=distance_m(elder[2], elder[3], in_lat, in_lng),
            is_late=late,
            late_notified_at=start + datetime.timedelta(minutes=15) if late else None,
            status="checked_in",
            tasks_done=list(item.checklist),
            outcome="",
        )
        if check_out <= now:
            row.update(
                check_out_at=check_out,
                check_out_lat=out_lat,
                check_out_lng=out_lng,
                check_out_accuracy=round(rng.uniform(5, 40), 1),
                check_out_distance=distance_m(elder[2], elder[3], out_lat, out_lng),
                status="confirmed",
                confirmed_at=check_out,
                outcome="done",
            )
        return row

    written = 0
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        json_columns = {f.column for f in fields if f.get_internal_type() == "JSONField"}
        with connection.cursor() as cursor:
            sql = f"COPY visits_visit ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in visits():
                    copy.write_row(
                        [
                            Jsonb(row.get(c, [])) if c in json_columns else row.get(c)
                            for c in columns
                        ]
                    )
                    written += 1
                    if written % 100_000 == 0:
                        log(f"  {written} visits ({time.monotonic() - started:.0f} s)")
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO visits_visit ({', '.join(columns)}) VALUES ({placeholders})"
        prepare: list[Callable[[Any], Any]] = [
            (lambda value, f=f: f.get_db_prep_save(value, connection)) for f in fields
        ]
        batch: list[list[Any]] = []
        with connection.cursor() as cursor:
            for row in visits():
                batch.append([p(row.get(c)) for p, c in zip(prepare, columns, strict=True)])
                if len(batch) == 5000:
                    cursor.executemany(sql, batch)
                    written += len(batch)
                    batch.clear()
                    if written % 50_000 == 0:
                        log(f"  {written} visits ({time.monotonic() - started:.0f} s)")
            cursor.executemany(sql, batch)
            written += len(batch)
    log(f"{written} visits written ({time.monotonic() - started:.0f} s); analysing")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE visits_visit")
            cursor.execute("VACUUM ANALYZE visits_order")
            cursor.execute("VACUUM ANALYZE services_caregiver")
        else:
            cursor.execute("ANALYZE")


def timings(call: Callable[[], Any], requests: int) -> dict[str, float]:
    for _ in range(5):
        call()
    spent = []
    for _ in range(requests):
        begin = time.perf_counter()
        call()
        spent.append((time.perf_counter() - begin) * 1000)
    spent.sort()
    return {
        "p50_ms": round(statistics.median(spent), 1),
        "p95_ms": round(spent[max(int(len(spent) * 0.95) - 1, 0)], 1),
        "max_ms": round(spent[-1], 1),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from yiyang.accounts.models import User
    from yiyang.services.models import Caregiver
    from yiyang.visits.models import Visit
    from yiyang.visits.selectors import caregiver_day, dispatch_board
    from yiyang.visits.services import visits_scan

    today = timezone.localdate()
    rng = random.Random(args.seed + 1)
    busiest = list(
        Visit.objects.filter(date=today).values_list("provider_id", flat=True).distinct()
    )
    rng.shuffle(busiest)
    chosen = busiest[:10]
    managers, carers = [], []
    for provider_id in chosen:
        manager, _ = User.objects.get_or_create(
            username=f"bench_manager_{provider_id}",
            defaults={"role": "provider_manager", "organisation_id": provider_id},
        )
        managers.append(manager)
        caregiver = Caregiver.objects.filter(provider_id=provider_id).order_by("id").first()
        assert caregiver is not None
        if caregiver.user_id is None:
            caregiver.user = User.objects.create(
                username=f"bench_caregiver_{provider_id}",
                role="caregiver",
                organisation_id=provider_id,
            )
            caregiver.save(update_fields=["user"])
        carers.append(caregiver.user)
    day = today.isoformat()
    board_sizes = [
        dispatch_board(actor=m, provider=m.organisation, day=today).counts["total"]
        for m in managers
    ]
    day_sizes = [len(caregiver_day(actor=c, day=today)) for c in carers]
    log(f"board sizes {board_sizes}; caregiver days {day_sizes}")
    results: dict[str, dict[str, Any]] = {}

    def cycle(items: list[Any]) -> Callable[[], Any]:
        state = {"i": 0}

        def next_item() -> Any:
            state["i"] += 1
            return items[state["i"] % len(items)]

        return next_item

    next_manager, next_carer = cycle(managers), cycle(carers)

    def board() -> Any:
        manager = next_manager()
        return dispatch_board(actor=manager, provider=manager.organisation, day=today)

    results["board:selector dispatch_board"] = timings(board, args.requests)
    results["caregiver:selector caregiver_day"] = timings(
        lambda: caregiver_day(actor=next_carer(), day=today), args.requests
    )
    clients = {}
    for user in managers + carers:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        clients[user.pk] = client
    pages = []
    for name, params in (("visits:board", f"?date={day}"), ("visits:my-day", f"?date={day}")):
        try:
            pages.append(reverse(name) + params)
        except NoReverseMatch:
            pages.append("")
    endpoints = [
        ("board:api /api/v1/visits/?date=", managers, f"/api/v1/visits/?date={day}"),
        ("board:page /visits/board/?date=", managers, pages[0]),
        ("caregiver:api /api/v1/visits/?date=", carers, f"/api/v1/visits/?date={day}"),
        ("caregiver:page /visits/my-day/?date=", carers, pages[1]),
    ]
    for key, users, path in endpoints:
        if not path or clients[users[0].pk].get(path).status_code != 200:
            log(f"{key}: not available, skipped")
            continue
        next_user = cycle(users)

        def get(path: str = path, next_user: Callable[[], Any] = next_user) -> None:
            response = clients[next_user().pk].get(path)
            assert response.status_code == 200, path

        results[key] = timings(get, args.requests)
    for key, figures in results.items():
        log(f"{key:<44} {figures}")
    start, end = today - datetime.timedelta(days=30), today - datetime.timedelta(days=1)
    with transaction.atomic():
        begin = time.perf_counter()
        scan = visits_scan(start=start, end=end)
        scan_s = time.perf_counter() - begin
        transaction.set_rollback(True)
    log(f"scan {start}..{end}: {scan} in {scan_s:.1f} s")
    worst = max(r["p95_ms"] for r in results.values())
    return {
        "benchmark": "visits",
        "database": connection.vendor,
        "database_version": connection.Database.sqlite_version
        if connection.vendor == "sqlite"
        else getattr(connection, "pg_version", None),
        "visits": Visit.objects.count(),
        "providers": PROVIDERS,
        "caregivers": Caregiver.objects.count(),
        "requests_per_endpoint": args.requests,
        "board_visits_today": board_sizes,
        "caregiver_visits_today": day_sizes,
        "results": results,
        "worst_p95_ms": worst,
        "p95_limit_ms": LIMIT_MS,
        "scan": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            **scan,
            "seconds": round(scan_s, 1),
            "limit_s": SCAN_LIMIT_S,
        },
        "pass": worst < LIMIT_MS and scan_s < SCAN_LIMIT_S,
        "machine": machine(),
    }


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

    from yiyang.visits.models import Visit

    call_command("migrate", verbosity=0)
    if not (args.reuse and Visit.objects.count() >= args.visits * 0.95):
        if Visit.objects.exists():
            log("the database holds visits from another run: drop it or use --reuse")
            return 2
        build(args)
    summary = measure(args)
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 1 if args.strict and not summary["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
