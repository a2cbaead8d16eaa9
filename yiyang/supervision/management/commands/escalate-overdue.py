"""``yiyang escalate-overdue``: escalate complaints and rectifications past their deadlines
(to the district, then the city). Run it every hour from cron or a systemd timer, like
``request-due-assessments``; safe to run often."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.supervision.services import overdue_escalate


class Command(BaseCommand):
    help = "Escalate overdue complaints and rectification orders."

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor(Scope(division_prefix=""), username="escalate-overdue")
        self.stdout.write(json.dumps(overdue_escalate(actor=actor)))
