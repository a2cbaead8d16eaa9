"""Reading a walking network from an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2) with
osmium: the ways people may walk on, as nodes and edges with their length in metres."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import osmium
from django.utils.translation import gettext as _

from yiyang.facilities.reach import Network, haversine_m

# highway=* values a pedestrian may use (motorways and trunk roads are not walkable).
WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "pedestrian",
        "path",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "track",
        "cycleway",
        "road",
        "corridor",
    }
)
NO_ACCESS = frozenset({"no", "private"})
logger = logging.getLogger(__name__)


class NetworkFileError(ValueError):
    """The file cannot give a walking network; the message says why."""


def is_walkable(tags: dict[str, str]) -> bool:
    highway = tags.get("highway")
    if highway not in WALKABLE_HIGHWAYS:
        return False
    if tags.get("foot") in NO_ACCESS:
        return False
    return not (tags.get("access") in NO_ACCESS and tags.get("foot") not in {"yes", "designated"})


def read_osm(path: str | Path) -> Network:
    """The walkable ways of an OSM file as a network; ``NetworkFileError`` when the file is
    not OSM data or holds no walkable way."""
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(_("%(file)s: no such file.") % {"file": path})
    index: dict[int, int] = {}
    lat: list[float] = []
    lng: list[float] = []
    us: list[int] = []
    vs: list[int] = []
    try:
        processor = osmium.FileProcessor(
            str(path), osmium.osm.NODE | osmium.osm.WAY
        ).with_locations()
        for entity in processor:
            if not isinstance(entity, osmium.osm.Way):
                continue
            way = entity
            tags = {tag.k: tag.v for tag in way.tags}
            if not is_walkable(tags):
                continue
            previous = -1
            for node in way.nodes:
                if not node.location.valid():
                    previous = -1
                    continue
                at = index.get(node.ref)
                if at is None:
                    at = index[node.ref] = len(lat)
                    lat.append(node.location.lat)
                    lng.append(node.location.lon)
                if previous >= 0 and previous != at:
                    us.append(previous)
                    vs.append(at)
                previous = at
    except (RuntimeError, ValueError, OSError) as exc:
        logger.info("road network %s unreadable: %s", path.name, exc)
        raise NetworkFileError(
            _(
                "%(file)s is not an OpenStreetMap file (.osm.pbf, .osm or .osm.bz2); "
                "the previous network is kept."
            )
            % {"file": path.name}
        ) from exc
    if not us:
        raise NetworkFileError(
            _(
                "%(file)s holds no walkable way (it is empty, or none of its ways may be "
                "walked on); the previous network is kept."
            )
            % {"file": path.name}
        )
    lat_a, lng_a = np.asarray(lat), np.asarray(lng)
    u, v = np.asarray(us, dtype=np.int64), np.asarray(vs, dtype=np.int64)
    length = haversine_m(lat_a[u], lng_a[u], lat_a[v], lng_a[v])
    return Network(lat=lat_a, lng=lng_a, u=u, v=v, length=length)
