"""``yiyang run-settlement-scheduler [--once] [--interval S]``: queues the settlement of the
month before once it has closed and has no statements yet (the 1st of each month), and
each round the sending of the workflow's deadline reminders (each sent once per step and
due date)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from yiyang.settlement.services.reminders import step_reminders_task
from yiyang.settlement.services.schedule import settle_month_task, settlement_due


class Command(BaseCommand):
    help = "Queue the monthly settlement for the background worker, in a loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=3600.0, help="seconds between rounds")

    def handle(self, *args: Any, **options: Any) -> None:
        queued: set[str] = set()
        while True:
            due = settlement_due()
            fresh = []
            if due is not None and due.isoformat() not in queued:
                settle_month_task.enqueue(due.isoformat())
                queued.add(due.isoformat())
                fresh.append(due.isoformat())
            step_reminders_task.enqueue()
            self.stdout.write(
                json.dumps(
                    {
                        "at": timezone.now().isoformat(),
                        "queued": fresh,
                        "reminders": "queued",
                    }
                )
            )
            if options["once"]:
                return
            time.sleep(options["interval"])
