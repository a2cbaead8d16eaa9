"""Every registered indicator computes for every division it is defined at, gives "—" (not
0 % or an error) where there is nothing to divide by, and its families add up."""

from __future__ import annotations

from tests.conftest import World
from tests.indicators.conftest import compute, elder, service_item, this_month, visit
from yiyang.alerts.choices import AlertKind
from yiyang.core.indicators import catalogue
from yiyang.core.models import Division
from yiyang.services.choices import ServiceCategory


def test_every_indicator_on_every_level_and_empty_divisions(world: World) -> None:
    d = world.div
    empty = Division.objects.create(
        code="419121202000", name="空村", level="community", parent=d["XB1"], is_urban=False
    )
    divisions = list(Division.objects.all())
    for indicator in catalogue().values():
        at_levels = [x for x in divisions if x.level in indicator.levels]
        values = indicator.compute(this_month(), at_levels)
        assert set(values) == {x.pk for x in at_levels}, indicator.code
        if empty.pk not in values:  # not computed for communities
            continue
        value = values[empty.pk]
        if indicator.unit in ("percent", "per_1000", "seconds", "hours_per_head"):
            # "—" exactly when there is nothing to divide by (a village without a station
            # is 0 % covered: it is one village, none covered).
            assert (value.display == "—") == (not value.denominator), indicator.code
        else:
            assert value.value == 0, indicator.code


def test_families_add_up(world: World) -> None:
    d = world.div
    categories = {
        c.value: service_item(d["X"], f"I{n}", c.value) for n, c in enumerate(ServiceCategory)
    }
    person = elder(d["XA1a"])
    day = this_month().start
    for item in categories.values():
        visit(person, world.org["home_care"], item, day)
    total = compute("visits_delivered", d["X"])[0]
    assert total == len(ServiceCategory)
    assert sum(compute(f"visits_delivered_{c}", d["X"])[0] for c in categories) == total
    assert (
        sum(compute(f"alerts_{k.value}", d["X"])[0] for k in AlertKind)
        == compute("alerts", d["X"])[0]
    )
