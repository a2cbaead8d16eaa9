"""``yiyang run-alert-monitor``: the loop behind time-based rules (silent devices, no
motion, doors open at night), escalation of unacknowledged alerts and notification delivery.
Several may run at once: each step claims its work with conditional updates."""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django import db
from django.core.management.base import BaseCommand, CommandParser

from yiyang.alerts.services import housekeeping, monitor_tick

logger = logging.getLogger("yiyang.alerts.monitor")


class Command(BaseCommand):
    help = "Run time-based alert rules, escalation and notifications every few seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0)
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--start-delay",
            type=float,
            default=0.0,
            help="seconds to wait first (devices report in after a restart)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = {"now": False}
        if not options["once"]:
            signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
        last_housekeeping = 0.0
        time.sleep(options["start_delay"])
        while True:
            try:
                result = monitor_tick()
                if any(result.values()):
                    logger.info("monitor: %s", result)
                if options["once"]:
                    self.stdout.write(str(result))
                if time.monotonic() - last_housekeeping > 60:
                    housekeeping()
                    last_housekeeping = time.monotonic()
            except (db.OperationalError, db.InterfaceError) as exc:
                logger.warning("database unavailable: %s", exc)
                db.connections.close_all()
            if options["once"] or stopping["now"]:
                return
            time.sleep(options["interval"])
