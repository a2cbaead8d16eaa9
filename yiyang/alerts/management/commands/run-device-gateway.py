"""``yiyang run-device-gateway``: the MQTT gateway (see yiyang.alerts.gateway)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiyang.alerts.gateway import Gateway, broker_check, default_client_id

logger = logging.getLogger("yiyang.gateway")


class Command(BaseCommand):
    help = "Subscribe to device events over MQTT (QoS 1, persistent session) and ingest them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--client-id",
            default=settings.MQTT_CLIENT_ID,
            help="default: yiyang-<host>-<deployment>-<slot>",
        )
        parser.add_argument("--url", default=settings.MQTT_URL)
        parser.add_argument("--batch-size", type=int, default=settings.DEVICE_BATCH_SIZE)
        parser.add_argument("--batch-ms", type=int, default=settings.DEVICE_BATCH_MILLISECONDS)
        parser.add_argument(
            "--broker-check", default=settings.MQTT_BROKER_CHECK, choices=["refuse", "warn", "off"]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client_id = options["client_id"] or default_client_id()
        self._check_broker(options["url"], options["broker_check"])
        gateway = Gateway(
            client_id=client_id,
            url=options["url"],
            batch_size=options["batch_size"],
            batch_ms=options["batch_ms"],
        )
        self.stdout.write(f"Device gateway {client_id} -> {options['url']}")
        self.stdout.flush()
        gateway.run()

    def _check_broker(self, url: str, mode: str) -> None:
        """Refuse (production) or warn about a broker that drops a gateway's queued messages.
        A broker that does not answer yet is not refused: the gateway waits for it."""
        if mode == "off":
            return
        report = broker_check(url)
        line = f"Broker {url}: {report.detail} [{report.version}]"
        if report.reachable and not report.keeps_queue:
            if mode == "refuse":
                raise CommandError(f"{line}. Refusing to start (MQTT_BROKER_CHECK=refuse).")
            logger.warning("%s", line)
        self.stdout.write(line)
