#!/usr/bin/env python
"""The public page (/public/) and its search through gunicorn: a fixed rate of requests
(200 per second by default) for a minute; p50/p95/p99/max latency and errors.

    .venv/bin/python bench/public_page.py [--database-url URL] [--rate 200] [--seconds 60]
        [--workers 2] [--institutions 160] [--stations 340] [--strict]

Builds a city of institutions and community facilities (a third of the institutions with a
published star level, prices and services) in a fresh SQLite file (or the PostgreSQL
database the URL names, dropped and created anew), starts gunicorn on a free local port, and
sends requests on a fixed schedule from threads with keep-alive connections (open loop:
latency is measured from the moment a request was due, so a slow server cannot hide its
queue). The mix: the page, district and kind filters, a name search, detail pages, the
JSON list. The per-address rate limit is lifted (every request comes from 127.0.0.1).
Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine as machine_info  # noqa: E402
from bench.organisation_list import recreate_postgres  # noqa: E402

LIMIT_P95_MS = 100.0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rate", type=int, default=200, help="requests per second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=32, help="client threads")
    parser.add_argument("--institutions", type=int, default=160)
    parser.add_argument("--stations", type=int, default=340)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--strict", action="store_true", help="exit 1 when over the limit")
    return parser.parse_args()


def build(args: argparse.Namespace) -> dict[str, Any]:
    """Divisions, organisations, facilities, offerings and published ratings, in bulk."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from yiyang.core.models import Division
    from yiyang.facilities.models import Facility
    from yiyang.organisations.models import Organisation
    from yiyang.services.models import ServiceItem, ServiceOffering
    from yiyang.supervision.models import Rating
    from yiyang.supervision.selectors import active_scheme

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    city = Division.objects.create(code="419100000000", name="颐和市", level="city")
    districts, communities = [], []
    for d in range(1, 7):
        district = Division.objects.create(
            code=f"4191{d:02d}000000", name=f"第{d}区", level="district", parent=city
        )
        districts.append(district)
        for s in range(1, 5):
            street = Division.objects.create(
                code=f"4191{d:02d}{s:03d}000", name=f"街道{d}-{s}", level="street", parent=district
            )
            for c in range(1, 6):
                communities.append(
                    Division.objects.create(
                        code=f"4191{d:02d}{s:03d}{c:03d}",
                        name=f"社区{d}-{s}-{c}",
                        level="community",
                        parent=street,
                    )
                )
    items = [
        ServiceItem.objects.create(
            city=city,
            code=f"B{n:02d}",
            name=name,
            unit="visit",
            category="meals",
            standard_minutes=60,
            standard_price=Decimal(50),
        )
        for n, name in enumerate(["助浴", "助洁", "助餐", "康复护理", "陪诊"])
    ]
    organisations = []
    for n in range(args.institutions + args.stations):
        institution = n < args.institutions
        community = rng.choice(communities)
        total = rng.randint(50, 400) if institution else None
        organisations.append(
            Organisation(
                name=f"{community.name}{'养老院' if institution else '养老服务站'}{n}",
                kind="care_institution" if institution else "community_station",
                ownership=rng.choice(["public", "private"]),
                division=community,
                address=f"颐和市幸福路{n}号",
                phone=f"0371-6{n:06d}",
                lat=Decimal(f"{34.5 + rng.random() * 0.5:.6f}"),
                lng=Decimal(f"{113.3 + rng.random() * 0.7:.6f}"),
                licence_number=f"PUB{n:06d}",
                total_beds=total,
                occupied_beds=rng.randint(0, total) if total else None,
            )
        )
    Organisation.objects.bulk_create(organisations)
    organisations = list(Organisation.objects.select_related("division"))
    Facility.objects.bulk_create(
        Facility(
            organisation=o,
            division_code=o.division.code,
            opening_hours="8:00-18:00",
            kind=("private_institution" if o.ownership == "private" else "public_institution")
            if o.kind == "care_institution"
            else "community_station",
        )
        for o in organisations
    )
    ServiceOffering.objects.bulk_create(
        ServiceOffering(provider=o, item=item, price=Decimal(rng.randint(20, 200)))
        for o in organisations
        for item in rng.sample(items, 3)
    )
    scheme = active_scheme("care_institution")
    today = timezone.localdate()
    Rating.objects.bulk_create(
        Rating(
            organisation=o,
            division_code=o.division.code,
            scheme=scheme,
            status="published",
            total=Decimal(rng.randint(600, 1000)),
            level=rng.randint(1, 5),
            computed_level=3,
            published_on=today,
            valid_until=today.replace(year=today.year + 3),
        )
        for o in organisations[: args.institutions // 3]
    )
    ids = [str(f) for f in Facility.objects.values_list("external_id", flat=True)]
    return {
        "districts": [d.code[:6] for d in districts],
        "facilities": ids,
        "organisations": len(organisations),
    }


def paths(world: dict[str, Any], rng: random.Random) -> list[str]:
    """The request mix: 40 % the page and its filters, 20 % searches, 30 % detail, 10 % JSON."""
    mix = ["/public/", "/public/?lang=en", "/public/?page=2", "/public/?page=3"]
    mix += [f"/public/?district={d}" for d in world["districts"]]
    mix += [
        f"/public/?kind={k}"
        for k in ("public_institution", "private_institution", "community_station")
    ]
    searches = [f"/public/?q={quote(q)}" for q in ("养老院", "幸福路1", "社区2-3", "服务站")]
    details = [f"/public/{i}/" for i in rng.sample(world["facilities"], 50)]
    json_paths = ["/public/facilities.json?fields=name,level,district", "/public/facilities.json"]
    return (
        [rng.choice(mix) for _ in range(40)]
        + [rng.choice(searches) for _ in range(20)]
        + [rng.choice(details) for _ in range(30)]
        + [rng.choice(json_paths) for _ in range(10)]
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def load(port: int, schedule: list[tuple[float, str]], threads: int) -> dict[str, Any]:
    """Send each request at its due time; latency counts from that time."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    index = [0]
    start = time.monotonic() + 0.5

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                if index[0] >= len(schedule):
                    return
                due, path = schedule[index[0]]
                index[0] += 1
            delay = start + due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__  # type: ignore[assignment]
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            elapsed = (time.monotonic() - (start + due)) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors[str(status)] = errors.get(str(status), 0) + 1

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.monotonic() - start
    ordered = sorted(latencies)

    def pct(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {
        "requests": len(ordered),
        "achieved_rps": round(len(ordered) / wall, 1),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(ordered[-1], 1),
        "errors": errors,
    }


def main() -> int:
    args = parse()
    tmp = tempfile.mkdtemp(prefix="yiyang-bench-public-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    if url.startswith("postgres"):
        recreate_postgres(url)
    env = {
        "YIYANG_MODE": "test",
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "YIYANG_VAR_DIR": tmp,
        "YIYANG_2FA_REQUIRED_ROLES": "",
        "SUPERVISION_PUBLIC_RATE_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    started = time.monotonic()
    world = build(args)
    print(
        f"built {world['organisations']} organisations in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        wait_up(port)
        rng = random.Random(args.seed)
        mix = paths(world, rng)
        total = args.rate * args.seconds
        schedule = [(n / args.rate, mix[n % len(mix)]) for n in range(total)]
        rng.shuffle(mix)
        warm = [(n / 50, p) for n, p in enumerate(sorted(set(mix)))]
        for _round in range(3):  # fill each worker's cache before measuring
            load(port, warm, 8)
        result = load(port, schedule, args.threads)
    finally:
        server.terminate()
        server.wait(timeout=30)
    import django

    output = {
        "benchmark": "public_page",
        "database": url.split(":", 1)[0],
        "rate": args.rate,
        "seconds": args.seconds,
        "workers": args.workers,
        "cache_seconds": int(os.environ.get("SUPERVISION_PUBLIC_CACHE_SECONDS", "60")),
        **result,
        "limit_p95_ms": LIMIT_P95_MS,
        "ok": result["p95_ms"] < LIMIT_P95_MS
        and not result["errors"]
        and result["achieved_rps"] >= args.rate * 0.95,
        "machine": machine_info(django=django.get_version()),
    }
    print(json.dumps(output, ensure_ascii=False))
    return 1 if args.strict and not output["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
