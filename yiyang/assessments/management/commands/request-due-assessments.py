"""``yiyang request-due-assessments [--within DAYS]``: request a routine re-assessment for
every elder whose final assessment runs out within DAYS (default ASSESSMENT_DUE_WITHIN_DAYS)
or has run out. Safe to run daily: an elder with an open assessment is skipped."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yiyang.assessments.services import due_assessments_request
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope


class Command(BaseCommand):
    help = "Request routine re-assessments for elders whose assessment is due or overdue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--within", type=int, default=None, help="days ahead")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor(Scope(division_prefix=""), username="request-due-assessments")
        count = due_assessments_request(actor=actor, within_days=options["within"])
        self.stdout.write(json.dumps({"requested": count}))
