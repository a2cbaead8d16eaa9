"""Streets with a day-care centre by the service-area rule, and construction against the
year's targets, on hand-made worlds with known answers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tests.conftest import World
from tests.facilities.conftest import facility_at
from tests.indicators.conftest import compute
from yiyang.facilities.choices import FacilityKind
from yiyang.facilities.models import ConstructionProject, ConstructionTarget


def test_a_day_care_centre_serving_the_next_street_counts_for_it(
    placed: World, system: Any
) -> None:
    d = placed.div
    # X has three streets: XA1, XA2 (district XA) and XB1 (county XB).
    assert compute("streets_with_day_care", d["X"], d["XA"]) == [0, 0]
    centre = facility_at(placed, system, "XA1a", 34.75, 113.65, kind=FacilityKind.DAY_CARE_CENTRE)
    assert compute("streets_with_day_care", d["XA"], d["XB"]) == [50, 0]
    # It also serves a community of the next street: both XA streets now have one.
    centre.service_area.add(d["XA2a"])
    assert compute("streets_with_day_care", d["XA"], d["X"]) == [100, Decimal("66.67")]
    # A closed centre counts for nobody.
    centre.status = "closed"
    centre.save()
    assert compute("streets_with_day_care", d["XA"]) == [0]


def test_construction_against_the_years_targets(placed: World, system: Any) -> None:
    d = placed.div
    today = timezone.localdate()
    year = today.year
    ConstructionTarget.objects.create(
        division=d["X"], year=year, kind="elderly_canteen", facilities=4
    )
    ConstructionTarget.objects.create(
        division=d["XA"], year=year, kind="elderly_canteen", facilities=2
    )
    ConstructionTarget.objects.create(
        division=d["XA"], year=year, kind="day_care_centre", facilities=2
    )

    def project(key: str, kind: str, in_use: datetime.date | None) -> None:
        facility = facility_at(placed, system, key, 34.75, 113.65, kind=kind)
        ConstructionProject.objects.create(
            facility=facility,
            division_code=facility.division_code,
            year=year,
            budget=Decimal(1),
            funding_source="city",
            approved_on=today,
            in_use_on=in_use,
        )

    project("XA1a", "elderly_canteen", today)
    project("XA2a", "elderly_canteen", None)  # not in use yet
    project("XB1a", "elderly_canteen", today)
    project("XA1b", "day_care_centre", today)
    project("XA1b", "community_station", today)  # no target for this kind
    # City: 2 canteens in use of 4 asked; XA: 1 canteen + 1 day-care of 2 + 2; XB: no target.
    assert compute("construction_target_progress", d["X"], d["XA"], d["XB"]) == [50, 50, None]
    # A project put into use last year does not count this year.
    ConstructionProject.objects.filter(division_code=d["XB1a"].code).update(
        in_use_on=datetime.date(year - 1, 12, 31)
    )
    assert compute("construction_target_progress", d["X"]) == [25]
