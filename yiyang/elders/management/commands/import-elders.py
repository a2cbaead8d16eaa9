"""``yiyang import-elders FILE [--dry-run] [--report OUT.xlsx] [--user USERNAME]``

Exit codes: 0 every row accepted; 1 some rows rejected (the valid ones were imported, or
would be in a dry run); 2 the file cannot be read at all (nothing was written).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from yiyang.core.commandline import add_import_arguments, command_actor
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders import importing
from yiyang.elders.choices import ImportStatus
from yiyang.elders.models import ImportJob

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2


class Command(BaseCommand):
    help = "Import elders from an .xlsx or .csv file (upsert by ID number)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", help=".xlsx or .csv (UTF-8 with or without BOM, or GBK)"
        )
        parser.add_argument(
            "--resume", metavar="JOB_ID", help="resume an import whose worker stopped"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--report", help="write the rejected rows to this .xlsx file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        add_import_arguments(parser, language_of="the messages and the report")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options["language"])
        if options["resume"]:
            job = importing.import_job_for_resume(options["resume"])
            if job is None:
                self._fail(f"No unfinished import {options['resume']} with its file.")
            self._finish(job, job.created_by or SystemActor(Scope(division_prefix="")), options)
            return
        if not options["file"]:
            self._fail("Give the file to import (or --resume JOB_ID).")
        path = Path(options["file"])
        actor = command_actor(options["user"], name="import-elders")
        if actor is None:
            self._fail(f"No active user {options['user']!r}.")
        try:
            content = path.read_bytes()
        except OSError as exc:
            self._fail(f"Cannot read {path}: {exc.strerror or exc}")
        try:
            job = importing.import_job_create(
                actor=actor, filename=path.name, content=content, dry_run=options["dry_run"]
            )
        except ValidationError as exc:
            self._fail("; ".join(exc.messages))
        self._finish(job, actor, options)

    def _finish(self, job: ImportJob, actor: Any, options: dict[str, Any]) -> None:
        started = time.monotonic()
        show = not options["no_progress"]
        job = importing.import_job_run(
            job=job, actor=actor, progress=self._progress if show else None
        )
        if show:
            sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        if options["report"]:
            Path(options["report"]).write_bytes(importing.error_report_xlsx(job))
        summary = importing.job_summary(job) | {"seconds": round(elapsed, 2)}
        if job.status == ImportStatus.FAILED:
            self.stderr.write(job.message)
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            raise SystemExit(EXIT_UNREADABLE)
        for warning in job.warnings:
            self.stderr.write(str(warning))
        for error in importing.import_job_errors(job)[:20]:
            self.stderr.write(f"row {error.row} {error.column} {error.value!r}: {error.reason}")
        verb = "would be" if job.dry_run else "were"
        self.stderr.write(
            f"{job.processed_rows} rows: {job.created_count} created, {job.updated_count} "
            f"updated, {job.unchanged_count} unchanged, {job.rejected_count} rejected "
            f"({verb} written; {job.duplicate_count} possible duplicates) in {elapsed:.1f} s."
        )
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if job.rejected_count:
            raise SystemExit(EXIT_REJECTED)

    def _progress(self, job: ImportJob) -> None:
        total = job.total_rows or 0
        done = job.processed_rows
        if total:
            width = 30
            filled = min(width, int(width * done / total))
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\r[{bar}] {min(done, total)}/{total} rows")
        else:
            sys.stderr.write(f"\r{done} rows")
        sys.stderr.flush()

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        raise SystemExit(EXIT_UNREADABLE)
