"""``yiyang simulate-devices --devices N --rate R [--via mqtt|http]``: drive realistic traffic
from N bound devices of the registry (see yiyang.alerts.simulator)."""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiyang.alerts.simulator import HttpSender, MqttSender, SimDevice, simulate
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.devices.selectors import device_list


class Command(BaseCommand):
    help = "Send simulated device traffic (heartbeats, vitals, rare SOS and falls)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--devices", type=int, default=20)
        parser.add_argument("--rate", type=float, default=10.0, help="messages per second")
        parser.add_argument("--via", choices=["mqtt", "http"], default="mqtt")
        parser.add_argument("--duration", type=float, default=60.0, help="seconds")
        parser.add_argument("--alarm-probability", type=float, default=0.002)
        parser.add_argument("--silent-fraction", type=float, default=0.0)
        parser.add_argument("--url", default="", help="MQTT broker or web server URL")
        parser.add_argument("--vendor", default="", help="only this vendor's devices")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--warm-up",
            action="store_true",
            help="first one heartbeat from every device (switched on)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor(Scope(division_prefix=""), username="simulator")
        filters = {"status": "active"}
        if options["vendor"]:
            filters["vendor"] = options["vendor"]
        rows = list(
            device_list(actor=actor, filters=filters)
            .order_by("id")
            .values_list("external_id", "kind", "vendor", "elder__lat", "elder__lng")[
                : options["devices"]
            ]
        )
        if not rows:
            raise CommandError("No bound devices: run `yiyang seed-demo` first.")
        if len(rows) < options["devices"]:
            self.stderr.write(f"Only {len(rows)} bound devices; simulating those.")
        devices = [
            SimDevice(
                str(device_id),
                kind,
                vendor,
                (float(lat), float(lng)) if lat is not None and lng is not None else None,
            )
            for device_id, kind, vendor, lat, lng in rows
        ]
        if options["via"] == "mqtt":
            sender: Any = MqttSender(
                str(options["url"] or settings.MQTT_URL), f"yiyang-simulator-{os.getpid()}"
            )
        else:
            secrets = dict(settings.DEVICE_VENDOR_SECRETS)
            missing = {d.vendor for d in devices} - set(secrets)
            if missing:
                raise CommandError(f"No secret for {sorted(missing)} (DEVICE_VENDOR_SECRETS).")
            vendors = {d.device_id: d.vendor for d in devices}
            sender = HttpSender(options["url"] or "http://127.0.0.1:8000", secrets, vendors)
        try:
            sent = simulate(
                devices=devices,
                rate=options["rate"],
                duration=options["duration"],
                send=sender.send,
                alarm_probability=options["alarm_probability"],
                silent_fraction=options["silent_fraction"],
                seed=options["seed"],
                warm_up=options["warm_up"],
            )
        finally:
            sender.close()
        self.stdout.write(
            json.dumps({"sent": sent.total, "by_type": sent.by_type, "alarms": len(sent.alarms)})
        )
