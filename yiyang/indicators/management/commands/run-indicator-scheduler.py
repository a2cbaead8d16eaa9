"""``yiyang run-indicator-scheduler [--once] [--interval S]``: the indicators' clock. Every
interval it asks which snapshots are due (the running month once a night after
INDICATOR_SNAPSHOT_HOUR; the month before, rebuilt once after it closed on the 1st) and
queues them for the background worker (``yiyang db_worker``). Stateless: what is due is read
from the snapshots' own times, so several copies or a restart queue nothing twice for long."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from yiyang.indicators.services import snapshots_due, snapshots_enqueue


class Command(BaseCommand):
    help = "Queue the nightly and month-end indicator snapshots, in a loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=300.0, help="seconds between rounds")

    def handle(self, *args: Any, **options: Any) -> None:
        queued: set[tuple[str, bool]] = set()
        while True:
            due = snapshots_due()
            fresh = [(m.isoformat(), r) for m, r in due if (m.isoformat(), r) not in queued]
            snapshots_enqueue([(m, r) for m, r in due if (m.isoformat(), r) not in queued])
            # Remember what was queued until it shows up as done (not due any more).
            queued = {(m.isoformat(), r) for m, r in due}
            self.stdout.write(json.dumps({"at": timezone.now().isoformat(), "queued": fresh}))
            if options["once"]:
                return
            time.sleep(options["interval"])
