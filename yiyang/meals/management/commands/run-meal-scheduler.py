"""``yiyang run-meal-scheduler [--once] [--interval S]``: the meals' clock. Every interval
it asks which days the standing orders should book (the next days never booked, or whose
standing orders changed since) and queues them for the background worker
(``yiyang db_worker``), which books them. Stateless: what is due is read from the runs the
worker recorded, so a restart or a second copy books nothing twice."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from yiyang.meals.services.standing import standing_days_due, standing_days_enqueue


class Command(BaseCommand):
    help = "Queue the standing orders' bookings of the next days for the worker, in a loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=300.0, help="seconds between rounds")

    def handle(self, *args: Any, **options: Any) -> None:
        # A day is queued once per run of it: queued again only after the worker ran it
        # (its last run changed) and a standing order changed since.
        queued: set[tuple[str, str]] = set()
        while True:
            due = {(day.isoformat(), str(ran)): day for day, ran in standing_days_due()}
            fresh = [day for key, day in due.items() if key not in queued]
            standing_days_enqueue(fresh)
            queued = set(due)
            self.stdout.write(
                json.dumps(
                    {
                        "at": timezone.now().isoformat(),
                        "queued": [d.isoformat() for d in fresh],
                    }
                )
            )
            if options["once"]:
                return
            time.sleep(options["interval"])
