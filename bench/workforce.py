#!/usr/bin/env python
"""The caregiver roster at city scale: import time of a 30,000-person roster, then the roster
list (page and API) with filters, p50/p95/max per endpoint.

    .venv/bin/python bench/workforce.py --database-url postgres://postgres@127.0.0.1:5432/yiyang_bench_workforce [--people 30000] [--requests 100]

Builds the demo city, writes an .xlsx roster of N generated caregivers over the city's
providers (about 12 % with a leave date, 70 % with a certificate) and imports it through
``workforce.services.roster_import`` as the command line does. Limits: import < 30 s, every
filtered list p95 < 150 ms. Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.organisation_list import machine, recreate_postgres  # noqa: E402

IMPORT_LIMIT_S = 30.0
LIST_LIMIT_MS = 150.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀英桂兰玉兰淑珍建华红梅丽娟海燕志强国庆春花雪梅文静"
HEADER = [
    "姓名",
    "身份证号",
    "学历",
    "技能等级",
    "入职日期",
    "离职日期",
    "离职原因",
    "证书编号",
    "发证日期",
    "证书有效期",
    "所属机构",
]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--strict", action="store_true", help="exit 1 when over a limit")
    parser.add_argument("--profile", action="store_true", help="profile the import (stderr)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database and its roster: measure the lists only",
    )
    return parser.parse_args()


def write_roster(path: Path, people: int, providers: list[str], seed: int) -> None:
    from openpyxl import Workbook

    from yiyang.core.idnumber import check_character

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(HEADER)
    for index in range(people):
        birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 35))
        # A unique 6-digit address code per thousand keeps every number distinct.
        first_17 = f"{410100 + index // 1000:06d}{birth:%Y%m%d}{index % 1000:03d}"
        hired = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3600))
        left = (
            hired + datetime.timedelta(days=rng.randrange(30, 900)) if rng.random() < 0.12 else None
        )
        certified = rng.random() < 0.7
        issued = hired + datetime.timedelta(days=rng.randrange(0, 200))
        sheet.append(
            [
                rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2]),
                first_17 + check_character(first_17),
                rng.choice(["初中", "高中", "中专", "大专", "本科"]),
                rng.choice(["五级", "四级", "三级", "二级", ""]),
                hired.isoformat(),
                left.isoformat() if left else "",
                rng.choice(["薪酬", "家庭原因", "调动", "退休"]) if left else "",
                f"ZS{index:08d}" if certified else "",
                issued.isoformat() if certified else "",
                (issued + datetime.timedelta(days=365 * 3)).isoformat() if certified else "",
                rng.choice(providers),
            ]
        )
    workbook.save(path)


def run_import(path: Path, profile: bool, city_code: str) -> tuple[float, Any]:
    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.workforce.services import roster_import

    actor = SystemActor(Scope(division_prefix=city_code[:4]), username="bench")
    profiler = cProfile.Profile() if profile else None
    started = time.monotonic()
    if profiler:
        profiler.enable()
    result = roster_import(actor=actor, path=path)
    seconds = round(time.monotonic() - started, 2)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    print(
        f"imported in {seconds} s: {result.created} created, {result.rejected} rejected",
        file=sys.stderr,
    )
    return seconds, result


def timed(client: Any, path: str, requests: int) -> dict[str, float]:
    for _ in range(5):
        assert client.get(path).status_code == 200, path
    timings = []
    for _ in range(requests):
        begin = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "max_ms": round(timings[-1], 1),
    }


def setup(url: str, tmp: str, reuse: bool) -> None:
    if url.startswith("postgres") and not reuse:
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


def main() -> int:
    args = parse()
    tmp = tempfile.mkdtemp(prefix="yiyang-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    setup(url, tmp, args.reuse)
    from django.db import connection
    from django.test import Client

    from yiyang.accounts.models import User
    from yiyang.demo.services import CITY_CODE, demo_city_build
    from yiyang.organisations.choices import PROVIDER_KINDS
    from yiyang.organisations.models import Organisation
    from yiyang.workforce.models import Employment

    demo_city_build(seed=1)
    operator = User.objects.get(username="provider_manager").organisation
    providers = list(
        Organisation.objects.filter(division__code__startswith=CITY_CODE[:4])
        .filter(kind__in=PROVIDER_KINDS)
        .values_list("name", flat=True)
    )
    import_s = None
    result = None
    if not (args.reuse and Employment.objects.exists()):
        path = Path(tmp) / "roster.xlsx"
        started = time.monotonic()
        write_roster(path, args.people, providers, args.seed)
        print(
            f"roster of {args.people} written in {time.monotonic() - started:.1f} s",
            file=sys.stderr,
        )
        import_s, result = run_import(path, args.profile, CITY_CODE)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    endpoints = [
        ("city_admin", "page", "/workforce/"),
        ("city_admin", "page_level", "/workforce/?skill_level=4"),
        ("city_admin", "page_name", "/workforce/?q=王秀"),
        ("city_admin", "page_education_left", "/workforce/?education=college&status=left"),
        ("city_admin", "page_expiring", "/workforce/?expiring=true"),
        ("city_admin", "page_deep", "/workforce/?page=15"),
        ("city_admin", "api_level", "/api/v1/workforce/employments/?skill_level=3&status=current"),
        ("district_officer", "page_level", "/workforce/?skill_level=5"),
        ("provider_manager", "page", "/workforce/"),
    ]
    results: dict[str, dict[str, Any]] = {}
    clients: dict[str, Client] = {}
    for username, name, target in endpoints:
        client = clients.get(username)
        if client is None:
            client = clients[username] = Client(HTTP_HOST="127.0.0.1")
            client.force_login(User.objects.get(username=username))
        key = f"{username}:{name}"
        results[key] = {"path": target, **timed(client, target, args.requests)}
        print(f"{key:<36} {results[key]}", file=sys.stderr)
    worst = max(r["p95_ms"] for r in results.values())
    summary = {
        "benchmark": "workforce",
        "database": connection.vendor,
        "people": args.people,
        "import_seconds": import_s,
        "import_created": result.created if result else None,
        "import_rejected": result.rejected if result else None,
        "employments": Employment.objects.count(),
        "operator_staff": Employment.objects.filter(provider=operator).count(),
        "requests_per_endpoint": args.requests,
        "results": results,
        "worst_p95_ms": worst,
        "limits": {"import_s": IMPORT_LIMIT_S, "p95_ms": LIST_LIMIT_MS},
        "pass": (import_s is None or import_s < IMPORT_LIMIT_S) and worst < LIST_LIMIT_MS,
        "machine": machine(),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if args.strict and not summary["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
