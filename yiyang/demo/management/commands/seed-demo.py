"""``yiyang seed-demo [--elders N] [--seed S]``: build the demo city if it is not there."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yiyang.demo.services import DEFAULT_PASSWORD, demo_city_build


class Command(BaseCommand):
    help = "Build the fictional demo city (divisions, organisations, a login per role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=20261122, help="random seed")
        parser.add_argument(
            "--elders", type=int, default=None,
            help="elder records to create once the elder registry exists (not yet built)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        password = os.environ.get("YIYANG_DEMO_PASSWORD") or DEFAULT_PASSWORD
        city = demo_city_build(seed=options["seed"], password=password)
        verb = "Built" if city.created else "Found"
        self.stdout.write(
            f"{verb} the demo city: {city.divisions} divisions, {city.organisations} "
            f"organisations, {city.users} demo logins, {city.elders_60_plus} residents "
            f"aged 60+ ({time.monotonic() - started:.1f} s)."
        )
        if options["elders"]:
            self.stdout.write(
                "Note: --elders is accepted but the elder registry is not built yet; "
                "no elder records were created."
            )
