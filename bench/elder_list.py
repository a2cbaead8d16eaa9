#!/usr/bin/env python
"""The elder list (page and API) with filters at city scale: p50/p95/max per endpoint.

    .venv/bin/python bench/elder_list.py --database-url postgres://postgres@127.0.0.1:5432/yiyang_bench_elders [--elders 900000] [--reuse] [--replicate 100000]

Builds the demo city and N generated elders (through the import path, as `yiyang seed-demo
--elders N` does), unless --reuse finds them already there. Requests run in-process through
Django's test client. Limit: p95 < 200 ms for every filtered list. Prints one JSON object as
its last line.
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

LIMIT_MS = 200.0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--elders", type=int, default=900_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    parser.add_argument(
        "--replicate",
        type=int,
        default=0,
        metavar="N",
        help="PostgreSQL: import N generated elders, then copy them in SQL (new identities) "
        "up to --elders: a quicker build with the same distributions",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when over the limit")
    return parser.parse_args()


def replicate(target: int) -> None:
    """Copy the imported elders in SQL until there are ``target``: every copy gets a new
    external id and ID-number hash (both unique), everything else as imported, so names,
    ages, living arrangements, incomes and communities keep their distributions. Setup for
    the list benchmark only (the copies share their sources' ciphertexts)."""
    from django.db import connection

    from yiyang.elders.models import Elder

    columns = [
        f.column
        for f in Elder._meta.concrete_fields
        if f.column not in ("id", "external_id", "id_number_hash")
    ]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM elders_elder")
        source = cursor.fetchone()[0]
        copy = 0
        while True:
            cursor.execute("SELECT count(*) FROM elders_elder")
            missing = target - cursor.fetchone()[0]
            if missing <= 0 or not source:
                break
            copy += 1
            cursor.execute(
                f"INSERT INTO elders_elder (external_id, id_number_hash, {listed}) "
                f"SELECT gen_random_uuid(), encode(sha256((id_number_hash || ':' || %s)::bytea), "
                f"'hex'), {listed} FROM (SELECT * FROM elders_elder ORDER BY id LIMIT %s) AS s",
                [copy, min(missing, source)],
            )
            print(f"  copy {copy}: +{min(missing, source)} elders", file=sys.stderr)


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
    from django.db import connection
    from django.test import Client

    from yiyang.accounts.models import User
    from yiyang.demo.services import demo_city_build, demo_elders_build
    from yiyang.elders.models import Elder

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    demo_city_build(seed=1)

    def progress(done: int) -> None:
        if done % 50_000 == 0:
            print(f"  {done} elders ({time.monotonic() - started:.0f} s)", file=sys.stderr)

    imported = min(args.replicate or args.elders, args.elders)
    built = demo_elders_build(count=imported, seed=1, progress=progress)
    if args.replicate and connection.vendor == "postgresql":
        replicate(args.elders)
    if connection.vendor == "postgresql" and (built.created or args.replicate):
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE elders_elder")
    total = Elder.objects.count()
    print(f"{total} elders ready in {time.monotonic() - started:.0f} s", file=sys.stderr)
    community = User.objects.get(username="community_worker").division
    assert community is not None
    endpoints = [
        ("city_admin", "page_tag", "/elders/?tag=living_alone"),
        ("city_admin", "page_tags_age", "/elders/?tag=very_old&tag=minimum_living"),
        ("city_admin", "page_age_status", "/elders/?age_band=90%2B&status=active"),
        ("city_admin", "page_search_name", "/elders/?q=秀英"),
        ("city_admin", "page_search_initials", "/elders/?q=wxy"),
        ("city_admin", "api_tag", "/api/v1/elders/?tag=very_old"),
        (
            "city_admin",
            "api_division_living",
            "/api/v1/elders/?division=419102000000&living_arrangement=alone",
        ),
        ("district_officer", "page_tag", "/elders/?tag=empty_nest"),
        ("district_officer", "api_age", "/api/v1/elders/?age_band=80-89"),
        ("street_officer", "page_tag", "/elders/?tag=very_old"),
        ("community_worker", "page_tag", "/elders/?tag=living_alone"),
        ("city_admin", "page_deep", "/elders/?tag=very_old&page=200"),
    ]
    clients: dict[str, Client] = {}
    results: dict[str, dict[str, Any]] = {}
    for username, name, path in endpoints:
        client = clients.get(username)
        if client is None:
            client = clients[username] = Client(HTTP_HOST="127.0.0.1")
            client.force_login(User.objects.get(username=username))
        for _ in range(5):
            assert client.get(path).status_code == 200, path
        timings = []
        for _ in range(args.requests):
            begin = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200
        timings.sort()
        key = f"{username}:{name}"
        results[key] = {
            "path": path,
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
            "max_ms": round(timings[-1], 1),
        }
        print(f"{key:<36} {results[key]}", file=sys.stderr)
    worst = max(r["p95_ms"] for r in results.values())
    summary = {
        "benchmark": "elder_list",
        "database": connection.vendor,
        "elders": total,
        "requests_per_endpoint": args.requests,
        "results": results,
        "worst_p95_ms": worst,
        "p95_limit_ms": LIMIT_MS,
        "pass": worst < LIMIT_MS,
        "machine": machine(),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if args.strict and not summary["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
