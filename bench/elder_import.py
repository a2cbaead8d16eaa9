#!/usr/bin/env python
"""Import N generated elders from an .xlsx file, then re-import the same file.

    .venv/bin/python bench/elder_import.py [--database-url URL] [--rows 100000] [--format xlsx]
        [--workers N] [--file PATH]

The demo city's divisions are built first; the file is generated (not timed) with the demo's
elder generator, then imported through the same job path as `yiyang import-elders`. The
second import must find every row unchanged. Limits: first import < 60 s, re-import < 30 s.
Prints one JSON object as its last line, with the wall-clock seconds of each import and the
CPU seconds spent in it by this process, by the import's worker processes and (PostgreSQL on
this machine) by the database server's process: on a shared machine the CPU seconds say
more than the wall clock.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.organisation_list import machine, recreate_postgres  # noqa: E402

IMPORT_LIMIT_S = 60.0
REIMPORT_LIMIT_S = 30.0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--strict", action="store_true", help="exit 1 when over a limit")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes of the import (default: as `yiyang import-elders` chooses)",
    )
    parser.add_argument(
        "--file",
        type=Path,
        default=None,
        help="the generated file: reused when it exists, else written there",
    )
    return parser.parse_args()


def write_file(path: Path, rows: list[dict[str, str]], fmt: str) -> None:
    from yiyang.elders.columns import COLUMNS, HEADERS

    keys = list(COLUMNS)
    if fmt == "csv":
        import csv

        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([HEADERS[k] for k in keys])
            for row in rows:
                writer.writerow([row.get(k, "") for k in keys])
        return
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("老年人")
    sheet.append([HEADERS[k] for k in keys])
    for row in rows:
        sheet.append([row.get(k, "") for k in keys])
    workbook.save(path)


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def server_cpu_seconds(connection: object) -> tuple[int, float] | None:
    """The PID and CPU seconds of this connection's PostgreSQL backend, when it runs here."""
    if getattr(connection, "vendor", "") != "postgresql":
        return None
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    from django.db import connection
    from django.utils import timezone

    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.demo.elders import community_infos, generate_elder_rows
    from yiyang.demo.services import demo_city_build
    from yiyang.elders import importing
    from yiyang.elders.models import Elder

    call_command("migrate", verbosity=0)
    demo_city_build(seed=1)
    started = time.monotonic()
    path = args.file or Path(tmp) / f"elders.{args.format}"
    if not path.exists():
        rows = list(
            generate_elder_rows(
                communities=community_infos(),
                count=args.rows,
                seed=args.seed,
                today=timezone.localdate(),
            )
        )
        write_file(path, rows, args.format)
    size_mb = path.stat().st_size / 1024 / 1024
    print(
        f"file {path} ({size_mb:.1f} MB) ready in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    actor = SystemActor(Scope(division_prefix="4191"), username="bench")
    waits: list[float] = []

    class Waits(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            waits.append(getattr(record, "waited_s", 0.0))

    pipeline_log = logging.getLogger("yiyang.elders.importing")
    pipeline_log.addHandler(Waits(logging.INFO))
    pipeline_log.setLevel(logging.INFO)
    runs = []
    for label in ("import", "reimport"):
        load = os.getloadavg()[0]
        begin = time.monotonic()
        cpu = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(resource.RUSAGE_CHILDREN)
        server_before = server_cpu_seconds(connection)
        job = importing.import_job_create(
            actor=actor, filename=path.name, content=path.read_bytes()
        )
        waits.clear()
        job = importing.import_job_run(job=job, actor=actor, workers=args.workers)
        seconds = time.monotonic() - begin
        server = server_cpu_seconds(connection)  # a new backend when workers were forked
        if server is not None and server_before is not None and server[0] == server_before[0]:
            server = server[0], server[1] - server_before[1]
        run = importing.job_summary(job) | {
            "run": label,
            "seconds": round(seconds, 1),
            "cpu_main_s": round(cpu_seconds(resource.RUSAGE_SELF) - cpu[0], 1),
            "cpu_workers_s": round(cpu_seconds(resource.RUSAGE_CHILDREN) - cpu[1], 1),
            "cpu_server_s": None if server is None else round(server[1], 1),
            "waited_for_workers_s": round(sum(waits), 1) if waits else None,
            "load_before": round(load, 2),
            "load_after": round(os.getloadavg()[0], 2),
        }
        run.pop("warnings")
        runs.append(run)
        print(json.dumps(run, ensure_ascii=False), file=sys.stderr)
    first, second = runs
    database = connection.vendor
    summary = {
        "benchmark": "elder_import",
        "database": database,
        "rows": args.rows,
        "format": args.format,
        "file_mb": round(size_mb, 1),
        "import_seconds": first["seconds"],
        "reimport_seconds": second["seconds"],
        "workers": args.workers if args.workers is not None else "auto",
        "import_cpu_s": {k: first[f"cpu_{k}_s"] for k in ("main", "workers", "server")},
        "reimport_cpu_s": {k: second[f"cpu_{k}_s"] for k in ("main", "workers", "server")},
        "created": first["created"],
        "rejected": first["rejected"],
        "reimport_changed": second["created"] + second["updated"],
        "reimport_unchanged": second["unchanged"],
        "elders": Elder.objects.count(),
        "import_limit_s": IMPORT_LIMIT_S,
        "reimport_limit_s": REIMPORT_LIMIT_S,
        "pass": first["seconds"] < IMPORT_LIMIT_S
        and second["seconds"] < REIMPORT_LIMIT_S
        and second["created"] + second["updated"] == 0,
        "machine": machine(),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if args.strict and not summary["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
