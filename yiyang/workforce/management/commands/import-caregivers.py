"""``yiyang import-caregivers FILE [--dry-run] [--report OUT.xlsx] [--provider ID]
[--user USERNAME] [--all-or-nothing]``

Exit codes: 0 every row accepted; 1 some rows rejected (the valid ones were imported unless
``--dry-run`` or ``--all-or-nothing``); 2 the file cannot be read at all (nothing written).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandParser
from django.http import Http404
from django.utils import translation

from yiyang.core.permissions import Actor, SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders.selectors import user_actor_by_username
from yiyang.elders.tabular import UnreadableFile
from yiyang.services.selectors import provider_get_for_actor
from yiyang.workforce.services import roster_import

EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = "Import a caregiver roster from an .xlsx or .csv file (one person per ID number)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".xlsx or .csv")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--report", help="write the rejected rows to this .xlsx file")
        parser.add_argument("--provider", help="the employer of every row (its external id)")
        parser.add_argument("--user", help="act as this user (their jurisdiction)")
        parser.add_argument(
            "--all-or-nothing", action="store_true", help="write nothing when any row is rejected"
        )
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options["language"])
        actor: Actor = SystemActor(Scope(division_prefix=""), username="import-caregivers")
        if options["user"]:
            found = user_actor_by_username(options["user"])
            if found is None:
                self._fail(f"No active user {options['user']!r}.")
            actor = found
        provider = None
        if options["provider"]:
            try:
                provider = provider_get_for_actor(actor=actor, external_id=options["provider"])
            except Http404:
                self._fail(f"No provider {options['provider']} in your jurisdiction.")
        path = Path(options["file"])
        started = time.monotonic()
        try:
            result = roster_import(
                actor=actor,
                path=path,
                provider=provider,
                dry_run=options["dry_run"],
                all_or_nothing=options["all_or_nothing"],
            )
        except UnreadableFile as exc:
            self._fail(str(exc))
        except PermissionDenied:
            self._fail("The provider is outside your jurisdiction.")
        if options["report"]:
            Path(options["report"]).write_bytes(result.report_xlsx())
        for error in result.errors[:20]:
            self.stderr.write(f"row {error.row} {error.column} {error.value!r}: {error.reason}")
        summary = {
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "rejected": result.rejected,
            "conflicts": result.conflicts,
            "written": result.written,
            "seconds": round(time.monotonic() - started, 2),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if result.exit_code:
            raise SystemExit(result.exit_code)

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        raise SystemExit(EXIT_UNREADABLE)
