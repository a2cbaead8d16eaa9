"""``yiyang snapshot-indicators [--month YYYY-MM] [--rebuild] [--code CODE ...]``: take the
monthly snapshot of every indicator at every level (default: the running month, which is
always refreshed). A past month already taken is kept unless ``--rebuild`` recomputes it from
the records. A month in the future or before the first records is refused (exit 2)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiyang.indicators.selectors import current_month, month_parse
from yiyang.indicators.services import snapshot_take


class Command(BaseCommand):
    help = "Take (or rebuild) the monthly snapshot of every indicator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the running month)")
        parser.add_argument("--rebuild", action="store_true", help="recompute a past month")
        parser.add_argument("--code", action="append", help="only these indicators")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = month_parse(options["month"]) if options["month"] else current_month()
            result = snapshot_take(month=month, rebuild=options["rebuild"], codes=options["code"])
        except ValidationError as error:
            messages = [f"{field}: {'; '.join(errs)}" for field, errs in error.message_dict.items()]
            raise CommandError("\n".join(messages), returncode=2) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False))
