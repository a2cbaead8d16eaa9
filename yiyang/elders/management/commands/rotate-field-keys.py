"""``yiyang rotate-field-keys [--rehash]``: re-encrypt every sensitive value with the first key
of FIELD_ENCRYPTION_KEYS (and, with --rehash, rebuild the lookup index after FIELD_HASH_KEY
changed). See docs/operations.md for the whole procedure."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders.photos import elder_photos_rotate
from yiyang.elders.services import field_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (registry, assessments, visits, alerts, devices) "
        "and the elders' sealed photos with the current primary key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rehash", action="store_true", help="recompute the blind index too")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor(Scope(division_prefix=""), username="rotate-field-keys")
        counts = field_keys_rotate(
            actor=actor, rehash=options["rehash"], batch_size=options["batch_size"]
        )
        counts["elders.photo"] = elder_photos_rotate()  # the sealed photo files
        self.stdout.write(json.dumps(counts))
