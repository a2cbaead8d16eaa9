"""``yiyang import-boundaries FILE.geojson [--crs wgs84|gcj02] [--user USERNAME]``

Division outlines keyed by GB/T 2260 code (``code``, ``adcode`` or ``division_code`` in each
feature's properties). Exit 0 when stored; 2 when the file is rejected (nothing written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from yiyang.core import safejson
from yiyang.core.permissions import Actor, SystemActor
from yiyang.core.scoping import Scope
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
        parser.add_argument("--user", help="act as this user (their jurisdiction)")
        parser.add_argument(
            "--language",
            default="zh-hans",
            choices=["zh-hans", "en"],
            help="language of the messages (default Simplified Chinese)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options["language"])
        path = Path(options["file"])
        actor: Actor = SystemActor(Scope(division_prefix=""), username="import-boundaries")
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True)
            found = user.first()
            if found is None:
                self._fail(f"No active user {options['user']!r}.")
            actor = found
        try:
            collection = safejson.loads(path.read_bytes())  # a file from outside: bounded
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
