"""Shared shapes of management commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from yiyang.core import safejson


class LoadDefinitionCommand(BaseCommand):
    """``yiyang load-… FILE.json [--inactive]``: store a versioned definition (an assessment
    instrument, a rating scheme) through its service. Prints the stored edition as JSON; exits
    2 with one line per field error when the file is unreadable or invalid (nothing written).

    Subclasses set ``what`` (the noun in messages) and implement :meth:`load`."""

    what = "definition"

    def load(self, definition: Any, *, activate: bool) -> Any:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--inactive", action="store_true", help="store it without putting it into use"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            # The file comes from outside (a city's own scheme): read with the depth limit.
            definition = safejson.loads(path.read_bytes())
        except (OSError, safejson.JSONError) as error:
            self.stderr.write(f"{path}: cannot read the {self.what}: {error}")
            sys.exit(2)
        try:
            stored = self.load(definition, activate=not options["inactive"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.stderr.write(f"{path}: {field}: {message}")
            sys.exit(2)
        summary = {
            "code": stored.code,
            "version": stored.version,
            "active": stored.is_active,
            "id": str(stored.external_id),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
