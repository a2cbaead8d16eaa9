"""``yiyang import-12345 FILE.xlsx --user NAME``: import 12345 hotline work orders into the
complaint register, within the user's jurisdiction. All rows or none: exit 0 when imported,
1 when rows were refused (each printed: row, column, reason), 2 when unreadable."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiyang.accounts.models import User
from yiyang.supervision.services.hotline import hotline_import


class Command(BaseCommand):
    help = "Import 12345 hotline work orders (.xlsx or .csv) into the complaint register."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="the operator the import acts for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        try:
            report = hotline_import(actor=user, path=Path(options["file"]))
        except ValidationError as error:
            self.stderr.write("; ".join(error.messages))
            sys.exit(2)
        for row, column, reason in report.errors:
            self.stderr.write(f"row {row}: {column}: {reason}")
        summary = {"rows": report.rows, "imported": report.imported, "errors": len(report.errors)}
        self.stdout.write(json.dumps(summary))
        if report.errors:
            sys.exit(1)
