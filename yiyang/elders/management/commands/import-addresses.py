"""``yiyang import-addresses FILE [--dry-run] [--user USERNAME]``: the address register.

Columns (Chinese or English headers): 社区 (community code or name), 地址, 纬度, 经度. All
rows or none: with any wrong row nothing is written and every problem is printed.
Exit codes: 0 written (or would be, on a dry run); 1 rows rejected; 2 the file is unreadable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from yiyang.core.commandline import add_import_arguments, command_actor
from yiyang.elders.address_import import address_register_import
from yiyang.elders.tabular import UnreadableFile

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2


class Command(BaseCommand):
    help = "Import the city's address register (community, address, latitude, longitude)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".xlsx or .csv (UTF-8 with or without BOM, or GBK)")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        add_import_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options["language"])
        actor = command_actor(options["user"], name="import-addresses")
        if actor is None:
            self._fail(f"No active user {options['user']!r}.", EXIT_UNREADABLE)
        path = Path(options["file"])
        try:
            result = address_register_import(actor=actor, path=path, dry_run=options["dry_run"])
        except UnreadableFile as exc:
            self._fail(str(exc), EXIT_UNREADABLE)
        for error in result.errors:
            self.stderr.write(f"row {error.row} {error.column} {error.value!r}: {error.reason}")
        if result.errors:
            rejected = len({e.row for e in result.errors})
            self._fail(
                f"{rejected} of {result.rows} rows rejected; nothing written.", EXIT_REJECTED
            )
        verb = "Would add" if options["dry_run"] else "Added"
        self.stdout.write(
            f"{verb} {result.created} addresses, moved {result.moved}, {result.unchanged} "
            f"unchanged; {result.relocated} elders located again."
        )

    def _fail(self, message: str, code: int) -> NoReturn:
        self.stderr.write(message)
        sys.exit(code)
