from __future__ import annotations

from tests.conftest import World
from tests.factories import OrganisationFactory
from tests.indicators.conftest import compute, dec
from yiyang.organisations import indicators
from yiyang.organisations.choices import OrganisationKind as K


def institution(
    world: World, key: str, total: int, nursing: int, occupied: int, **kw: object
) -> None:
    OrganisationFactory(
        kind=K.CARE_INSTITUTION,
        division=world.div[key],
        total_beds=total,
        nursing_beds=nursing,
        occupied_beds=occupied,
        **kw,
    )


def test_institutions_beds_nursing_share_and_occupancy_urban_rural(world: World) -> None:
    # The world has 院XA1a (public, 100 beds, 70 nursing, 80 occupied) in urban XA1a.
    d = world.div
    institution(world, "XA2a", 50, 20, 20, ownership="private")
    institution(world, "XB1a", 40, 10, 26, ownership="private")  # rural
    institution(world, "XA1b", 30, 30, 30, ownership="private", status="closed")
    x = d["X"]
    assert compute("institutions", x, d["XA"], d["XB"]) == [3, 2, 1]
    assert compute("institutions_public", x) == [1]
    assert compute("institutions_private", x) == [2]
    assert compute("beds", x, d["XA"], d["XB1a"]) == [190, 150, 40]
    # 100 / 190 nursing-type beds.
    assert compute("nursing_bed_share", x, d["XA1"]) == [dec("52.63"), dec("70.00")]
    assert compute("occupancy", x) == [dec("66.32")]  # 126 / 190
    assert compute("occupancy_urban", x, d["XB"]) == [dec("66.67"), None]  # 100 / 150
    assert compute("occupancy_rural", x, d["XA"]) == [dec("65.00"), None]  # 26 / 40
    # Beds per 1,000 census residents aged 60+ (2,700 in XA); XB has no census figure.
    assert compute("beds_per_1000", d["XA"], d["XB"]) == [dec("55.56"), None]


def test_beds_per_1000_over_65_plus_when_set(world: World, settings: object) -> None:
    d = world.div
    d["XA1a"].population_65_plus = 500
    d["XA1a"].save()
    settings.INDICATOR_ELDER_AGE = 65  # type: ignore[attr-defined]
    assert compute("beds_per_1000", d["XA1a"]) == [200]


def test_station_coverage_urban_rural_and_the_hook(world: World) -> None:
    # Stations in XA1a, XA1b, XA2a (urban) and XB1a (rural). Close the one in XA1b and
    # open a day-care centre in XA1b's street office: a street-level centre covers no
    # community by placement alone.
    d, o = world.div, world.org
    o["station_XA1b"].status = "closed"
    o["station_XA1b"].save()
    x = d["X"]
    assert compute("station_coverage", x, d["XA1"], d["XA1b"]) == [dec("75.00"), dec("50.00"), 0]
    assert compute("station_coverage_urban", x, d["XB"]) == [dec("66.67"), None]
    assert compute("station_coverage_rural", x, d["XA"]) == [100, None]
    # A facilities app's source: a facility in XA1a serving XA1b too.
    indicators.COVERAGE_SOURCES.append(lambda period, divisions: {d["XA1b"].code})
    try:
        assert compute("station_coverage", d["XA1"]) == [100]
    finally:
        indicators.COVERAGE_SOURCES.pop()


def test_streets_with_day_care_and_canteens(world: World) -> None:
    d = world.div
    OrganisationFactory(kind=K.DAY_CARE_CENTRE, division=d["XA1"])
    OrganisationFactory(kind=K.ELDERLY_CANTEEN, division=d["XA2a"])
    OrganisationFactory(kind=K.ELDERLY_CANTEEN, division=d["XB1a"], status="pending")
    assert compute("streets_with_day_care", d["X"], d["XA"], d["XA2"]) == [
        dec("33.33"),
        50,
        0,
    ]
    assert compute("canteens", d["X"], d["XA2a"], d["XB"]) == [1, 1, 0]
    assert compute("community_stations", d["X"]) == [4]
