"""``yiyang check-broker [--url URL]``: does the broker keep a disconnected gateway's
queued messages? Exit 0 yes, 1 it drops them (the message names the setting), 2 unreachable."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from yiyang.alerts.gateway import broker_check


class Command(BaseCommand):
    help = "Probe whether the MQTT broker keeps the messages queued for a disconnected session."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=settings.MQTT_URL)
        parser.add_argument("--messages", type=int, default=settings.MQTT_BROKER_PROBE_MESSAGES)
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        report = broker_check(options["url"], messages=options["messages"])
        if options["json"]:
            self.stdout.write(json.dumps(report.__dict__))
        else:
            self.stdout.write(f"{options['url']}: {report.detail} [{report.version}]")
        if not report.reachable:
            raise SystemExit(2)
        if not report.keeps_queue:
            raise SystemExit(1)
