"""``yiyang import-road-network FILE.osm.pbf [--city CODE]``

Reads an OpenStreetMap extract, keeps the ways people may walk on and makes them the city's
walking network (the previous one stays, inactive). Exit 0 imported; 2 the file is not OSM,
holds no walkable way or does not overlap the city (nothing changed)."""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiyang.core.models import Division
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.facilities.services import road_network_import

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = "Import a walking network from an OpenStreetMap extract (.osm.pbf)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="an OpenStreetMap extract (.osm.pbf, .osm)")
        parser.add_argument("--city", help="the city's 12-digit code (default: the only city)")

    def handle(self, *args: Any, **options: Any) -> None:
        cities = Division.objects.filter(level="city")
        if options["city"]:
            cities = cities.filter(code=options["city"])
        if cities.count() != 1:
            raise CommandError("Name the city with --city CODE.", returncode=EXIT_REFUSED)
        city = cities.get()
        actor = SystemActor(Scope(division_prefix=city.code[:4]), username="import-road-network")
        started = time.perf_counter()
        try:
            network = road_network_import(actor=actor, city=city, path=options["file"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=EXIT_REFUSED) from exc
        self.stdout.write(
            f"Imported {network.nodes} nodes and {network.edges} walkable segments for "
            f"{city.name} in {time.perf_counter() - started:.1f} s. Run compute-coverage next."
        )
