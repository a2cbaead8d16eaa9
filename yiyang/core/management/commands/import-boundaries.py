"""``yiyang import-boundaries FILE.geojson [--crs wgs84|gcj02] [--user USERNAME]``

Division outlines keyed by GB/T 2260 code (``code``, ``adcode`` or ``division_code`` in each
feature's properties). Exit 0 when stored; 2 when the file is rejected (nothing written).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from yiyang.core.commands import add_import_arguments, command_actor
from yiyang.core.services import division_boundaries_import


class Command(BaseCommand):
    help = "Import division boundaries from a GeoJSON file keyed by GB/T 2260 code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a GeoJSON FeatureCollection of Polygons/MultiPolygons")
        parser.add_argument(
            "--crs",
            choices=["wgs84", "gcj02"],
            help="the file's coordinate system when it does not say (default WGS 84)",
        )
        add_import_arguments(parser, user_help="act as this user (their jurisdiction)")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options["language"])
        path = Path(options["file"])
        actor = command_actor(options["user"], name="import-boundaries")
        if actor is None:
            self._fail(f"No active user {options['user']!r}.")
        try:
            collection = json.loads(path.read_bytes())
        except OSError as exc:
            self._fail(f"Cannot read {path}: {exc.strerror or exc}")
        except (ValueError, UnicodeDecodeError) as exc:
            self._fail(f"{path} is not JSON: {exc}")
        try:
            result = division_boundaries_import(
                actor=actor, collection=collection, source=path.name, crs=options["crs"]
            )
        except ValidationError as exc:
            self._fail("\n".join(exc.messages))
        self.stdout.write(
            f"Stored {result.created + result.updated} boundaries ({result.created} new, "
            f"{result.updated} replaced; {result.crs})."
        )

    def _fail(self, message: str) -> NoReturn:
        raise CommandError(f"Nothing was imported.\n{message}", returncode=2)
