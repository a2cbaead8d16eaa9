from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.conftest import World
from tests.indicators.conftest import elder
from yiyang.core.indicators import Period, catalogue
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Role
from yiyang.indicators import services
from yiyang.indicators.models import IndicatorSnapshot, IndicatorTarget
from yiyang.indicators.selectors import current_month, month_add


def test_target_set_audits_every_change(world: World) -> None:
    d, admin = world.div, world.user[Role.CITY_ADMIN]
    year = timezone.localdate().year
    target = services.target_set(
        actor=admin, code="nursing_bed_share", year=year, division=d["X"], value="70"
    )
    services.target_set(
        actor=admin,
        code="nursing_bed_share",
        year=year,
        division=d["X"],
        value="72.5",
        unit="percent",
    )
    target.refresh_from_db()
    assert target.value == Decimal("72.5")
    events = AuditEvent.objects.filter(object_id=str(target.external_id)).order_by("at", "id")
    assert [(e.action, e.changes.get("value")) for e in events] == [
        ("create", [None, "70.0000"]),
        ("update", ["70.0000", "72.5000"]),
    ]
    services.target_delete(actor=admin, target=target)
    assert not IndicatorTarget.objects.exists()


@pytest.mark.parametrize(
    ("code", "value", "unit", "field", "message"),
    [
        ("nursing_bed_share", "101", None, "value", "impossible"),
        ("nursing_bed_share", "-1", None, "value", "negative"),
        ("nursing_bed_share", "abc", None, "value", "not a number"),
        ("nursing_bed_share", "70", "per_1000", "unit", "measured in"),
        ("beds", "10.5", None, "value", "whole"),
        ("nope", "1", None, "code", "no indicator"),
    ],
)
def test_target_bad_input_writes_nothing(
    world: World, code: str, value: str, unit: str | None, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.target_set(
            actor=world.user[Role.CITY_ADMIN],
            code=code,
            year=2026,
            division=world.div["X"],
            value=value,
            unit=unit,
        )
    assert message in " ".join(error.value.message_dict[field])
    assert not IndicatorTarget.objects.exists() and not AuditEvent.objects.exists()


def test_target_scope_and_roles(world: World, settings: Any) -> None:
    d, u = world.div, world.user
    officer = u[Role.DISTRICT_OFFICER]
    services.target_set(actor=officer, code="beds", year=2026, division=d["XA"], value=300)
    with pytest.raises(ValidationError, match="outside your jurisdiction"):
        services.target_set(actor=officer, code="beds", year=2026, division=d["XB"], value=1)
    with pytest.raises(ValidationError, match="city and its districts"):
        services.target_set(
            actor=u[Role.CITY_ADMIN], code="beds", year=2026, division=d["XA1"], value=1
        )
    with pytest.raises(PermissionDenied):
        services.target_set(
            actor=u[Role.STREET_OFFICER], code="beds", year=2026, division=d["XA1"], value=1
        )
    settings.INDICATOR_DISTRICT_TARGETS = False
    with pytest.raises(ValidationError, match="set by the city"):
        services.target_set(actor=officer, code="beds", year=2026, division=d["XA"], value=1)


def test_snapshot_rebuild_equals_live_computation(world: World) -> None:
    d = world.div
    elder(d["XA1a"], living_arrangement="alone")
    elder(d["XB1a"], 85)
    month = current_month()
    result = services.snapshot_take(month=month)
    assert result["rows"] == IndicatorSnapshot.objects.count() > 0
    divisions = list(Division.objects.all())
    for indicator in catalogue().values():
        at_levels = [x for x in divisions if x.level in indicator.levels]
        live = indicator.compute(Period.of(month), at_levels)
        stored = {
            s.division_id: (s.value, s.numerator, s.denominator)
            for s in IndicatorSnapshot.objects.filter(code=indicator.code, month=month)
        }
        assert stored == {pk: (v.value, v.numerator, v.denominator) for pk, v in live.items()}, (
            indicator.code
        )
    # Taking it again replaces, never duplicates.
    assert services.snapshot_take(month=month)["rows"] == result["rows"]
    assert IndicatorSnapshot.objects.count() == result["rows"]


def test_snapshot_command_refuses_future_and_before_the_data(world: World) -> None:
    future = month_add(current_month(), 1)
    with pytest.raises(CommandError, match=f"month: {future:%Y-%m}"):
        call_command("snapshot-indicators", "--month", f"{future:%Y-%m}")
    with pytest.raises(CommandError, match="month: 2001-01"):
        call_command("snapshot-indicators", "--month", "2001-01")
    with pytest.raises(CommandError, match=r"month: .*March.*YYYY-MM"):
        call_command("snapshot-indicators", "--month", "March")
    assert not IndicatorSnapshot.objects.exists()


def test_past_month_kept_unless_rebuilt_and_scheduler_due(world: World) -> None:
    d = world.div
    last = month_add(current_month(), -1)
    Division.objects.update(created_at=timezone.now() - datetime.timedelta(days=70))
    first = services.snapshot_take(month=last)
    assert first["skipped"] is False
    assert services.snapshot_take(month=last)["skipped"] is True
    elder(d["XA1a"])  # created now: not on the registry last month
    rebuilt = services.snapshot_take(month=last, rebuild=True)
    assert rebuilt["rows"] == first["rows"]
    value = IndicatorSnapshot.objects.get(code="registered_elders", month=last, division=d["X"])
    assert value.value == 0
    # The scheduler: the running month is due tonight; last month was taken after it closed.
    noon = timezone.localtime().replace(hour=12, minute=0)
    assert services.snapshots_due(now=noon) == [(current_month(), False)]
    services.snapshot_take(month=current_month())
    IndicatorSnapshot.objects.filter(month=current_month()).update(computed_at=noon)
    assert services.snapshots_due(now=noon + datetime.timedelta(hours=1)) == []
    # The next night (03:00, after INDICATOR_SNAPSHOT_HOUR) it is due again.
    night = noon + datetime.timedelta(hours=15)
    if night.month == noon.month:
        assert services.snapshots_due(now=night) == [(current_month(), False)]


def test_scheduler_queues_the_running_month(world: World) -> None:
    # Tests run tasks at once (the immediate backend), so one round takes the snapshot.
    out = StringIO()
    call_command("run-indicator-scheduler", "--once", stdout=out)
    assert IndicatorSnapshot.objects.filter(month=current_month()).exists()
    call_command("run-indicator-scheduler", "--once", stdout=out)
    assert out.getvalue().count('"queued": []') >= 1
