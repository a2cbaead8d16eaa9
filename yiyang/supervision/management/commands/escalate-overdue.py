"""``yiyang escalate-overdue``: escalate complaints and rectifications past their deadlines
(to the district, then the city). Run it every hour from cron or a systemd timer, like
``request-due-assessments``; safe to run often. ``--now 2026-12-31T10:00+08:00`` runs it as
of another moment (replaying a missed run, or a rehearsal of the deadlines)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.supervision.services import overdue_escalate


class Command(BaseCommand):
    help = "Escalate overdue complaints and rectification orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="the moment to run as (ISO 8601, with its offset)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options.get("now"):
            try:
                now = datetime.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now: not an ISO 8601 moment: {options['now']}") from None
            if timezone.is_naive(now):
                raise CommandError("--now: give the offset too, e.g. 2026-12-31T10:00+08:00")
        actor = SystemActor(Scope(division_prefix=""), username="escalate-overdue")
        self.stdout.write(json.dumps(overdue_escalate(actor=actor, now=now)))
