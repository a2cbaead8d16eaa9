from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.conftest import World
from tests.factories import make_child
from tests.indicators.conftest import elder
from yiyang.core.permissions import Role
from yiyang.indicators.models import IndicatorSnapshot, IndicatorTarget
from yiyang.indicators.selectors import (
    Status,
    current_month,
    dashboard_figures,
    division_ranking,
    indicator_catalogue,
    indicator_values,
    month_add,
    month_parse,
)


def test_catalogue_has_every_app_and_readable_definitions() -> None:
    codes = {i.code for i in indicator_catalogue()}
    for code in (
        "census_60_plus",
        "registered_elders",
        "elders_empty_nest",
        "assessed_share",
        "nursing_bed_share",
        "station_coverage_rural",
        "visits_delivered",
        "caregivers_per_1000",
        "wearables_bound",
        "alerts_answered_60s",
    ):
        assert code in codes
    assert all(len(str(i.definition)) > 20 for i in indicator_catalogue())


def test_values_by_level_and_month_scoped(world: World) -> None:
    d, u = world.div, world.user
    elder(d["XA1a"])
    elder(d["XA2a"])
    elder(d["XA2a"])
    points = indicator_values(
        actor=u[Role.DISTRICT_OFFICER], code="registered_elders", division=d["XA"], level="street"
    )
    assert [(p.division.code, p.value.value) for p in points] == [
        (d["XA1"].code, 1),
        (d["XA2"].code, 2),
    ]
    # A street officer cannot read the district; an unknown code or a future month is refused.
    with pytest.raises(Http404):
        indicator_values(actor=u[Role.STREET_OFFICER], code="registered_elders", division=d["XA"])
    with pytest.raises(ValidationError, match="no indicator"):
        indicator_values(actor=u[Role.CITY_ADMIN], code="nope", division=d["X"])
    with pytest.raises(ValidationError, match="future"):
        indicator_values(
            actor=u[Role.CITY_ADMIN],
            code="registered_elders",
            division=d["X"],
            month_to=month_add(current_month(), 1),
        )
    with pytest.raises(PermissionDenied):
        indicator_values(actor=u[Role.CAREGIVER], code="registered_elders", division=d["X"])
    with pytest.raises(ValidationError, match="YYYY-MM"):
        month_parse("2026-13")


def test_values_read_snapshots_for_past_months(world: World) -> None:
    d = world.div
    last = month_add(current_month(), -1)
    IndicatorSnapshot.objects.create(
        code="registered_elders",
        month=last,
        division=d["X"],
        division_code=d["X"].code,
        level="city",
        value=Decimal(42),
        numerator=Decimal(42),
        computed_at=datetime.datetime.now(tz=datetime.UTC),
    )
    points = indicator_values(
        actor=world.user[Role.CITY_ADMIN],
        code="registered_elders",
        division=d["X"],
        month_from=last,
    )
    assert [(p.month, p.value.value) for p in points] == [(last, 42), (current_month(), 0)]


def test_dashboard_figures_target_status_trend_and_year_on_year(world: World) -> None:
    d, u = world.div, world.user
    year = current_month().year
    # 院XA1a: 70 of 100 beds nursing-type. City target 75 -> close (within 10%); the
    # district's own target 70 -> met; a street inherits the district's.
    IndicatorTarget.objects.create(
        code="nursing_bed_share", year=year, division=d["X"], division_code=d["X"].code, value=75
    )
    ago = month_add(current_month(), -12)
    IndicatorSnapshot.objects.create(
        code="nursing_bed_share",
        month=ago,
        division=d["X"],
        division_code=d["X"].code,
        level="city",
        value=Decimal(60),
        computed_at=datetime.datetime.now(tz=datetime.UTC),
    )
    city = {
        f.indicator.code: f for f in dashboard_figures(actor=u[Role.CITY_ADMIN], division=d["X"])
    }
    nursing = city["nursing_bed_share"]
    assert (nursing.value.value, nursing.target, nursing.status) == (70, 75, Status.CLOSE)
    assert nursing.year_on_year == 10  # percentage points
    assert len(nursing.trend) == 24 and nursing.trend[-12] == (ago, 60)
    IndicatorTarget.objects.create(
        code="nursing_bed_share", year=year, division=d["XA"], division_code=d["XA"].code, value=70
    )
    street = dashboard_figures(
        actor=u[Role.STREET_OFFICER], division=d["XA1"], codes=["nursing_bed_share", "beds"]
    )
    assert [(f.indicator.code, f.target, f.status) for f in street] == [
        ("beds", None, None),
        ("nursing_bed_share", 70, Status.MET),
    ]
    # Without any target set, the national norm applies: answers within 60 s, 97.5%.
    answers = city["alerts_answered_60s"]
    assert (answers.value.value, answers.target, answers.status) == (None, Decimal("97.5"), None)


def test_ranking_best_first_with_empty_divisions_last(world: World) -> None:
    d = world.div
    xc = make_child(d["X"], "district", 3, "区XC")  # no census figure: "—"
    d["XB1a"].population_60_plus = 100
    d["XB1a"].save()
    elder(d["XA2a"])
    elder(d["XB1a"])
    ranking = division_ranking(
        actor=world.user[Role.CITY_ADMIN], code="registration_share", parent=d["X"]
    )
    assert [(div.code, v.display) for div, v in ranking] == [
        (d["XB"].code, "1"),
        (d["XA"].code, "0.04"),
        (xc.code, "—"),
    ]
    # Lower is better for missed visits: the order turns around (all empty here).
    assert (
        len(
            division_ranking(
                actor=world.user[Role.DISTRICT_OFFICER], code="visits_missed_share", parent=d["XA"]
            )
        )
        == 2
    )


def test_dashboard_figures_query_count_does_not_grow_with_indicators(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from yiyang.indicators.services import snapshot_take

    snapshot_take(month=current_month())
    # Two reads (snapshots, targets) whatever the number of indicators, once snapshotted.
    with django_assert_max_num_queries(4):
        figures = dashboard_figures(actor=world.user[Role.CITY_ADMIN], division=world.div["X"])
    assert len(figures) > 90
