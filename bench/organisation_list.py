#!/usr/bin/env python
"""Organisations list page and list API with N organisations: p50/p95/max per endpoint.

    .venv/bin/python bench/organisation_list.py [--database-url URL] [--organisations 10000]

Runs in-process through Django's test client (the whole Django stack and the database, no
network or web server). The default database is a fresh SQLite file in a temporary folder; a
PostgreSQL URL names a database that is dropped and created anew. Prints one JSON object as
its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine as machine_info  # noqa: E402

LIMIT_MS = 150.0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--strict", action="store_true", help="exit 1 when over the limit")
    return parser.parse_args()


def recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def machine() -> dict[str, Any]:
    import django

    return machine_info(django=django.get_version())


def main() -> int:
    args = parse()
    tmp = tempfile.mkdtemp(prefix="yiyang-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    if url.startswith("postgres"):
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
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from yiyang.accounts.models import User
    from yiyang.core.models import Division
    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.demo.services import demo_city_build
    from yiyang.organisations.models import Organisation
    from yiyang.organisations.services import organisation_create_many

    # Count each request's queries: Django clears the query log when a request starts.
    request_started.disconnect(reset_queries)
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    demo_city_build(seed=args.seed)
    rng = random.Random(args.seed)
    communities = list(Division.objects.filter(level="community").select_related("parent"))
    kinds = ["home_care_company", "community_station", "elderly_canteen", "day_care_centre"]
    missing = args.organisations - Organisation.objects.count()
    actor = SystemActor(scope=Scope(division_prefix="4191"), username="bench")
    rows = []
    for number in range(max(missing, 0)):
        community = rng.choice(communities)
        kind = rng.choice(kinds)
        rows.append(
            {
                "name": f"{community.name}{['居家服务', '养老服务站', '助餐点', '照料中心'][kinds.index(kind)]}{number}",
                "kind": kind,
                "division": community,
                "address": f"颐和市测试路{number}号",
                "lat": Decimal(f"{34.5 + rng.random() * 0.5:.6f}"),
                "lng": Decimal(f"{113.3 + rng.random() * 0.7:.6f}"),
                "licence_number": f"BENCH{number:07d}",
                "ownership": "private" if kind == "home_care_company" else "public",
            }
        )
    for start in range(0, len(rows), 2000):
        organisation_create_many(actor=actor, rows=rows[start : start + 2000])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    total = Organisation.objects.count()
    build_seconds = time.monotonic() - started
    print(
        f"built {total} organisations in {build_seconds:.1f} s on {connection.vendor}",
        file=sys.stderr,
    )

    endpoints = [
        ("city_admin", "page", "/organisations/"),
        ("city_admin", "page_search", "/organisations/?q=养老&kind=community_station"),
        ("city_admin", "page_deep", "/organisations/?page=100"),
        ("city_admin", "api", "/api/v1/organisations/"),
        ("city_admin", "api_filter", "/api/v1/organisations/?kind=home_care_company&q=居家"),
        ("street_officer", "page", "/organisations/"),
        ("street_officer", "api", "/api/v1/organisations/"),
    ]
    clients: dict[str, Client] = {}
    results: dict[str, dict[str, Any]] = {}
    for username, name, path in endpoints:
        client = clients.get(username)
        if client is None:
            client = clients[username] = Client(HTTP_HOST="127.0.0.1")
            client.force_login(User.objects.get(username=username))
        for _ in range(10):
            assert client.get(path).status_code == 200, path
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        query_count = len(queries.captured_queries)  # read now: the log is a bounded deque
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
            "queries": query_count,
        }
        print(f"{key:<28} {results[key]}", file=sys.stderr)
    version = (
        connection.cursor().connection.info.server_version
        if connection.vendor == "postgresql"
        else None
    )
    if connection.vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    else:
        database = f"PostgreSQL {version // 10000}.{version % 10000}" if version else "PostgreSQL"
    worst = max(result["p95_ms"] for result in results.values())
    summary = {
        "benchmark": "organisation_list",
        "database": connection.vendor,
        "database_version": database,
        "organisations": total,
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
