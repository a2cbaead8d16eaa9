"""``yiyang monthly-report --month YYYY-MM [--division CODE] --out report.pdf|report.xlsx
[--user NAME]``: the monthly report of the city (or a division) in Chinese; the format
follows the file's extension. Exit 2 with a clear message on a bad month or division."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiyang.core.commandline import command_actor
from yiyang.core.models import Division
from yiyang.indicators.report import report_build
from yiyang.indicators.selectors import indicator_division_get, month_parse


class Command(BaseCommand):
    help = "Write the monthly indicator report as PDF or .xlsx."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--division", help="division code (default: the first city)")
        parser.add_argument("--out", required=True, help="report.pdf or report.xlsx")
        parser.add_argument("--user", help="produce it as this user (their scope applies)")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("pdf", "xlsx"):
            raise CommandError("--out must end in .pdf or .xlsx", returncode=2)
        actor = command_actor(options["user"], name="monthly-report")
        if actor is None:
            raise CommandError(f"No active user {options['user']!r}.", returncode=2)
        try:
            month = month_parse(options["month"])
            if options["division"]:
                division = indicator_division_get(actor=actor, key=options["division"])
            else:
                city = Division.objects.filter(level="city").order_by("code").first()
                if city is None:
                    raise ValidationError({"division": "There are no divisions yet."})
                division = city
            content = report_build(actor=actor, month=month, division=division, fmt=fmt)
        except ValidationError as error:
            messages = [f"{field}: {'; '.join(errs)}" for field, errs in error.message_dict.items()]
            raise CommandError("\n".join(messages), returncode=2) from None
        out.write_bytes(content)
        self.stdout.write(f"{out} ({len(content):,} bytes)")
