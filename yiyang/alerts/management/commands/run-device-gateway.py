"""``yiyang run-device-gateway``: the MQTT gateway (see yiyang.alerts.gateway)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from yiyang.alerts.gateway import Gateway


class Command(BaseCommand):
    help = "Subscribe to device events over MQTT (QoS 1, persistent session) and ingest them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id", default=settings.MQTT_CLIENT_ID)
        parser.add_argument("--url", default=settings.MQTT_URL)
        parser.add_argument("--batch-size", type=int, default=settings.DEVICE_BATCH_SIZE)
        parser.add_argument("--batch-ms", type=int, default=settings.DEVICE_BATCH_MILLISECONDS)

    def handle(self, *args: Any, **options: Any) -> None:
        gateway = Gateway(
            client_id=options["client_id"], url=options["url"],
            batch_size=options["batch_size"], batch_ms=options["batch_ms"],
        )  # fmt: skip
        self.stdout.write(f"Device gateway {options['client_id']} -> {options['url']}")
        self.stdout.flush()
        gateway.run()
