"""The two commands of the facility network: ``yiyang import-road-network FILE`` on a real
.osm.pbf extract (written here with osmium, the library that reads it) and
``yiyang compute-coverage [--division CODE]``."""

from __future__ import annotations

import io

import numpy as np
import osmium
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.facilities.conftest import elder_at, facility_at
from yiyang.facilities.models import CoverageRun, ElderReach, RoadNetwork
from yiyang.facilities.reach import Network, haversine_m


def write_pbf(path, nodes, ways) -> None:
    """An OpenStreetMap extract in the PBF format: nodes {id: (lat, lng)}, ways
    [(id, [node ids], tags)]."""
    writer = osmium.SimpleWriter(str(path))
    try:
        for node_id, (lat, lng) in nodes.items():
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(lng, lat), version=1))
        for way_id, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags, version=1))
    finally:
        writer.close()


def test_a_pbf_extract_becomes_the_citys_walking_network(world, tmp_path):
    nodes = {1: (34.75, 113.65), 2: (34.751, 113.65), 3: (34.752, 113.65), 4: (34.753, 113.65)}
    path = tmp_path / "city.osm.pbf"
    write_pbf(
        path,
        nodes,
        [
            (10, [1, 2], {"highway": "residential"}),
            (11, [2, 3], {"highway": "footway"}),
            (12, [3, 4], {"highway": "motorway"}),  # no walking on a motorway
            (13, [1, 4], {"highway": "service", "access": "private"}),  # nor a private way
        ],
    )
    out = io.StringIO()
    call_command("import-road-network", str(path), "--city", world.div["X"].code, stdout=out)
    stored = RoadNetwork.objects.get(active=True)
    assert (stored.name, stored.source, stored.nodes, stored.edges) == ("city.osm.pbf", "osm", 3, 2)
    assert out.getvalue().startswith("Imported 3 nodes and 2 walkable segments for 城X in ")
    network = Network.from_bytes(bytes(stored.data))
    step = haversine_m(
        np.array([34.75]), np.array([113.65]), np.array([34.751]), np.array([113.65])
    )
    assert np.allclose(network.length, [step[0], step[0]], atol=0.01)


def test_compute_coverage_for_a_division_and_for_every_city(placed, system):
    world = placed
    facility_at(world, system, "XA1a", 34.75, 113.65)
    near = elder_at(world, system, "XA1a", 34.754, 113.65)
    elder_at(world, system, "XA1b", None, None)
    elder_at(world, system, "XB1a", 34.81, 113.65)  # another district: not this run's
    out = io.StringIO()
    call_command("compute-coverage", "--division", world.div["XA"].code, stdout=out)
    run = CoverageRun.objects.get()
    assert (run.division_code, run.method, run.elders, run.without_coordinates) == (
        world.div["XA"].code_prefix,
        "detour",
        1,
        1,
    )
    assert list(ElderReach.objects.values_list("elder_id", flat=True)) == [near.pk]
    assert out.getvalue() == (
        f"{world.div['XA'].name}: 1 elders by the Straight line × detour factor method "
        f"in {run.seconds:.1f} s; 1 without coordinates.\n"
    )
    with pytest.raises(CommandError) as caught:
        call_command("compute-coverage", "--division", "999999999999", stdout=io.StringIO())
    assert caught.value.returncode == 2
    assert "No division has the code 999999999999." in str(caught.value)
    every = io.StringIO()
    call_command("compute-coverage", stdout=every)
    cities = sorted(CoverageRun.objects.exclude(pk=run.pk).values_list("division_code", flat=True))
    assert cities == sorted([world.div["X"].code_prefix, world.div["Y"].code_prefix])
    assert len(every.getvalue().splitlines()) == 2
    assert ElderReach.objects.filter(kind="community_station").count() == 2
