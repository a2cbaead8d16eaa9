"""The walking network and every elder's reach to the nearest facility of each kind."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.facilities import selectors
from yiyang.facilities.choices import (
    ReachMethod,
)
from yiyang.facilities.models import (
    CoverageRun,
    ElderReach,
    RoadNetwork,
)
from yiyang.facilities.osm import NetworkFileError, read_osm
from yiyang.facilities.reach import (
    Network,
    Points,
    Router,
    detour_reach,
    metres_per_minute,
    network_reach,
)

logger = logging.getLogger(__name__)
REACH_BATCH = 5000


# --- the walking network ---------------------------------------------------------------


def _overlap(network: Network, city: Division) -> float:
    box = (city.bbox_min_lat, city.bbox_max_lat, city.bbox_min_lng, city.bbox_max_lng)
    if None in box:
        return 1.0
    lo_lat, hi_lat, lo_lng, hi_lng = (float(v) for v in box)  # type: ignore[arg-type]
    inside = (
        (network.lat >= lo_lat)
        & (network.lat <= hi_lat)
        & (network.lng >= lo_lng)
        & (network.lng <= hi_lng)
    )
    return float(inside.mean()) if network.node_count else 0.0


@transaction.atomic
def road_network_store(
    *, actor: Actor, city: Division, network: Network, name: str, source: str
) -> RoadNetwork:
    """Make ``network`` the city's walking network, replacing the previous one (kept,
    inactive). Refused when it does not overlap the city."""
    require_perm(actor, Permission.COMPUTE_COVERAGE)
    if not actor.scope.covers_division_code(city.code):
        raise ValidationError({"city": _("This city lies outside your jurisdiction.")})
    if network.edge_count == 0:
        raise ValidationError({"file": _("The network has no walkable street.")})
    if _overlap(network, city) < 0.01:
        raise ValidationError(
            {
                "file": _("The network does not overlap %(city)s; the previous network is kept.")
                % {"city": city.name}
            }
        )
    RoadNetwork.objects.filter(city=city, active=True).update(active=False)
    stored = RoadNetwork.objects.create(
        city=city,
        name=name[:200],
        source=source,
        nodes=network.node_count,
        edges=network.edge_count,
        data=network.to_bytes(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=stored,
        division_code=city.code,
        changes={"nodes": network.node_count, "edges": network.edge_count, "source": source},
    )
    return stored


def road_network_import(*, actor: Actor, city: Division, path: str | Path) -> RoadNetwork:
    """Read an OpenStreetMap extract and make its walkable ways the city's network. A file
    that is not OSM, holds no walkable way or lies elsewhere is refused with the reason,
    and the previous network stays."""
    require_perm(actor, Permission.COMPUTE_COVERAGE)
    try:
        network = read_osm(path)
    except NetworkFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    return road_network_store(
        actor=actor, city=city, network=network, name=Path(path).name, source="osm"
    )


# --- reach and coverage ------------------------------------------------------------------


def _router(city: Division) -> tuple[Router | None, RoadNetwork | None]:
    stored = selectors.active_network(city=city)
    if stored is None:
        return None, None
    return Router(Network.from_bytes(selectors.network_data(stored))), stored


@transaction.atomic
def coverage_compute(*, actor: Actor, division: Division | None = None) -> CoverageRun:
    """Walking time from every active elder's home (in ``division`` or the actor's whole
    jurisdiction) to the nearest open facility of each kind the city has, by the walking
    network when the city has one, else the straight line times the detour factor; stored
    in bulk, replacing the previous figures of those elders."""
    require_perm(actor, Permission.COMPUTE_COVERAGE)
    prefix = division.code_prefix if division is not None else selectors.scope_prefix(actor)
    if actor.scope.division_prefix is None or not prefix.startswith(actor.scope.division_prefix):
        raise ValidationError({"division": _("This division lies outside your jurisdiction.")})
    city = selectors.city_for_prefix(prefix)
    if city is None:
        raise ValidationError({"division": _("No city is registered here.")})
    started = time.perf_counter()
    speed = metres_per_minute(float(settings.FACILITY_WALKING_SPEED_KMH))
    limit = float(settings.FACILITY_REACH_MAX_MINUTES) * speed
    detour = float(settings.FACILITY_DETOUR_FACTOR)
    router, stored = _router(city)
    method = ReachMethod.NETWORK if router is not None else ReachMethod.DETOUR
    homes = selectors.elder_homes(prefix=prefix)
    points = Points(lat=homes.homes.lat, lng=homes.homes.lng)
    ElderReach.objects.filter(prefix_q("division_code", prefix)).delete()
    codes = dict(
        Division.objects.filter(pk__in=np.unique(homes.homes.community).tolist()).values_list(
            "pk", "code"
        )
    )
    division_codes = [codes[int(c)] for c in homes.homes.community.tolist()]
    kinds = selectors.open_kinds(city_prefix=city.code[:4])
    snapped = router.snap(points) if router is not None else None
    for kind in kinds:
        facilities = selectors.open_facility_points(city_prefix=city.code[:4], kind=kind)
        if router is not None:
            metres = network_reach(router, facilities, points, limit=limit, snapped=snapped)
        else:
            metres = detour_reach(facilities, points, detour=detour, limit=limit)
        minutes = metres / speed
        rows = [
            ElderReach(
                elder_id=int(pk),
                kind=kind,
                division_code=code,
                minutes=None if not np.isfinite(m) else round(float(m), 2),
                method=method,
            )
            for pk, code, m in zip(
                homes.ids.tolist(), division_codes, minutes.tolist(), strict=True
            )
        ]
        ElderReach.objects.bulk_create(rows, batch_size=REACH_BATCH)
    run = CoverageRun.objects.create(
        division_code=prefix,
        method=method,
        network=stored,
        elders=len(homes.homes),
        without_coordinates=homes.without_coordinates,
        seconds=round(time.perf_counter() - started, 2),
        walking_speed_kmh=float(settings.FACILITY_WALKING_SPEED_KMH),
        circle_minutes=float(settings.FACILITY_CIRCLE_MINUTES),
        detour_factor=detour,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=run,
        division_code=prefix,
        changes={
            "method": method,
            "elders": len(homes.homes),
            "kinds": kinds,
            "without_coordinates": homes.without_coordinates,
        },
    )
    return run
