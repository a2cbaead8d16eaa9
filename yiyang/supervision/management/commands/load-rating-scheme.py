"""``yiyang load-rating-scheme FILE.json [--inactive]``: store a city's own rating scheme or
a later edition (the format of yiyang/supervision/schemes/gbt37276-2018.json). Exit 0 when
stored (or already there), 2 when the file is unreadable or invalid (nothing written)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from yiyang.supervision.services import rating_scheme_load


class Command(BaseCommand):
    help = "Store a star-rating scheme from a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--inactive", action="store_true", help="store without using it")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            definition = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            self.stderr.write(f"{path}: cannot read the scheme: {error}")
            sys.exit(2)
        try:
            scheme = rating_scheme_load(definition=definition, activate=not options["inactive"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.stderr.write(f"{path}: {field}: {message}")
            sys.exit(2)
        summary = {
            "code": scheme.code,
            "version": scheme.version,
            "active": scheme.is_active,
            "id": str(scheme.external_id),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
