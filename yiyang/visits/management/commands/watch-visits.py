"""``yiyang watch-visits [--once] [--interval S] [--scan-days N]``: the visits' background
loop. Every interval it marks visits late (no check-in 15 minutes after the window opened;
the provider is notified once) and missed (past the window), and once an hour re-runs the
exception rules over the last N days (default 2) so that flags depending on other visits
(overlap, impossible travel) are raised even when phones synced late. Several copies may run:
late visits are claimed with conditional updates and flags are unique per visit and code."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from yiyang.visits.services import visits_mark_late, visits_scan


class Command(BaseCommand):
    help = "Mark late and missed visits and re-run the exception rules, in a loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between rounds")
        parser.add_argument("--scan-days", type=int, default=2, help="days the scan covers")

    def handle(self, *args: Any, **options: Any) -> None:
        last_scan = 0.0
        while True:
            result: dict[str, Any] = {"at": timezone.now().isoformat(), **visits_mark_late()}
            if options["once"] or time.monotonic() - last_scan > 3600:
                today = timezone.localdate()
                start = today - datetime.timedelta(days=options["scan_days"])
                result["scan"] = visits_scan(start=start, end=today)
                last_scan = time.monotonic()
            self.stdout.write(json.dumps(result))
            if options["once"]:
                return
            time.sleep(options["interval"])
