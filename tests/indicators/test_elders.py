from __future__ import annotations

from tests.conftest import World
from tests.indicators.conftest import compute, dec, elder
from yiyang.elders.models import Elder


def test_census_and_registered_are_different_figures(world: World) -> None:
    d = world.div
    d["XA1a"].population_65_plus, d["XA1a"].population_80_plus = 600, 150
    d["XA1a"].save()
    elder(d["XA1a"], 65)
    elder(d["XA1b"], 85)
    elder(d["XA1b"], 50)  # under 60: on the registry, not an elder of the figures
    elder(d["YA1a"], 70)  # another city
    assert compute("census_60_plus", d["X"], d["XA"], d["XA1"], d["XB"]) == [2700, 2700, 1800, 0]
    assert compute("census_65_plus", d["X"], d["XA1a"]) == [600, 600]
    assert compute("census_80_plus", d["XA1"]) == [150]
    assert compute("registered_elders", d["X"], d["XA1"], d["XA1b"], d["XB"]) == [2, 2, 1, 0]
    # 2 registered of 1,800 census residents in XA1; XB has no census figure: "—".
    assert compute("registration_share", d["XA1"], d["XB"]) == [dec("0.11"), None]


def test_registered_leaves_out_the_deceased_moved_and_duplicates(world: World) -> None:
    d = world.div
    elder(d["XA1a"], status="deceased")
    elder(d["XA1a"], status="moved_out")
    elder(d["XA1a"], status="duplicate")
    elder(d["XA1a"], status="in_hospital")
    assert compute("registered_elders", d["XA1a"]) == [1]


def test_age_bands_and_special_groups(world: World) -> None:
    d = world.div
    elder(d["XA1a"], 62, living_arrangement="alone", economic_status="extremely_poor")
    elder(d["XA1a"], 75, living_arrangement="spouse_only", ability_level="mild")
    elder(d["XA1a"], 83, living_arrangement="with_children", ability_level="severe")
    elder(
        d["XA2a"],
        91,
        living_arrangement="alone",
        economic_status="minimum_living",
        ability_level="moderate",
    )
    elder(d["XA2a"], 88, ability_level="intact")
    xa = d["XA"]
    assert compute("registered_60_69", xa) == [1]
    assert compute("registered_70_79", xa) == [1]
    assert compute("registered_80_89", xa) == [2]
    assert compute("registered_90_plus", xa) == [1]
    assert compute("elders_very_old", xa) == [3]
    assert compute("elders_living_alone", xa, d["XA1"], d["XA2"]) == [2, 1, 1]
    # Empty-nest includes those living alone.
    assert compute("elders_empty_nest", xa, d["XA1"]) == [3, 2]
    # 失能 (severe, complete) and 半失能 (mild, moderate) apart.
    assert compute("elders_disabled", xa) == [1]
    assert compute("elders_semi_disabled", xa, d["XA1"]) == [2, 1]
    assert compute("elders_extremely_poor", xa) == [1]
    assert compute("elders_minimum_living", xa) == [1]
    assert Elder.objects.count() == 5


def test_empty_division_counts_zero_and_shares_dash(world: World) -> None:
    d = world.div
    assert compute("registered_elders", d["XB1a"]) == [0]
    assert compute("registration_share", d["XB1a"]) == [None]
