"""``yiyang load-instrument FILE.json [--inactive]``: store a new edition or local variant of
an assessment instrument (same JSON format as yiyang/assessments/instruments/). Exit 0 when
stored (or already there, identical), 2 when the file is unreadable or invalid."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from yiyang.assessments.services import instrument_load


class Command(BaseCommand):
    help = "Store an edition of an assessment instrument from a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--inactive", action="store_true", help="store it without putting it into use"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            definition = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            self.stderr.write(f"{path}: cannot read the instrument: {error}")
            sys.exit(2)
        try:
            instrument = instrument_load(definition=definition, activate=not options["inactive"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.stderr.write(f"{path}: {field}: {message}")
            sys.exit(2)
        summary = {
            "code": instrument.code,
            "version": instrument.version,
            "active": instrument.is_active,
            "id": str(instrument.external_id),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
