"""Supervision's indicators: rated institutions, inspections, complaints in time."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from tests.conftest import World
from tests.supervision.conftest import published
from yiyang.core.indicators import Period, catalogue
from yiyang.core.permissions import Role
from yiyang.supervision import services
from yiyang.supervision.models import Inspection, Rectification


def values(code: str, world: World, period: Period | None = None) -> dict[str, object]:
    period = period or Period.of(timezone.localdate())
    divisions = [world.div["X"], world.div["XA"], world.div["XB"]]
    result = catalogue()[code].compute(period, divisions)
    return {key: result[world.div[key].pk].value for key in ("X", "XA", "XB")}


def test_share_of_institutions_rated_three_stars_or_more(sup: World) -> None:
    assert values("institutions_rated_3_plus_share", sup) == {
        "X": Decimal(0),
        "XA": Decimal(0),
        "XB": None,
    }
    published(sup)
    assert values("institutions_rated_3_plus_share", sup)["XA"] == Decimal(100)
    assert values("institutions_5_star", sup)["X"] == 1
    assert catalogue()["institutions_5_star"].default_target() == Decimal(10)


def test_complaints_answered_in_time(sup: World) -> None:
    officer = sup.user[Role.STREET_OFFICER]
    for n in range(2):
        complaint = services.complaint_register(
            actor=sup.user[Role.OPERATOR],
            channel="call_centre",
            text=f"投诉{n}",
            organisation=sup.org["institution_XA1a"],
        )
    services.complaint_answer(actor=officer, complaint=complaint, answer="已处理")
    assert values("complaints_received", sup)["X"] == 2
    assert values("complaints_answered_on_time_share", sup)["XA"] == Decimal(50)


def test_inspections_done_and_fire_safety(sup: World) -> None:
    year = timezone.localdate().year - 1  # a closed year: every inspection is due
    services.inspection_plan_generate(
        actor=sup.user[Role.CITY_ADMIN], district=sup.div["XA"], year=year, per_kind=2
    )
    period = Period.month(year, 12)
    assert values("inspections_done_share", sup, period)["XA"] == Decimal(0)
    assert values("fire_safety_compliance", sup, period)["XA"] is None  # none done: "—"


def test_complainants_satisfied_at_closure(sup: World) -> None:
    officer = sup.user[Role.STREET_OFFICER]
    for satisfied in (True, False, None, True):
        complaint = services.complaint_register(
            actor=sup.user[Role.OPERATOR],
            channel="walk_in",
            text="投诉",
            organisation=sup.org["institution_XA1a"],
        )
        services.complaint_answer(actor=officer, complaint=complaint, answer="已处理")
        services.complaint_close(actor=officer, complaint=complaint, satisfied=satisfied)
    # Two of the three answers satisfied; the closure without an answer counts in neither.
    assert values("complaints_satisfied_share", sup) == {
        "X": Decimal("66.67"),
        "XA": Decimal("66.67"),
        "XB": None,
    }
    services.complaint_reopen(actor=officer, complaint=complaint, reason="仍未解决")
    assert values("complaints_satisfied_share", sup)["XA"] == Decimal(50)


def test_open_and_overdue_rectifications(sup: World) -> None:
    services.inspection_plan_generate(
        actor=sup.user[Role.CITY_ADMIN], district=sup.div["XA"], year=2026, per_kind=1
    )
    inspection = Inspection.objects.get(kind="fire")
    services.inspection_record(
        actor=sup.user[Role.STREET_OFFICER],
        inspection=inspection,
        answers={"fire_exits": True, "extinguishers": False, "alarms": True, "drills": True},
        findings=[{"severity": "major", "text": "灭火器过期"}, {"severity": "minor", "text": "x"}],
    )
    assert values("rectifications_open", sup) == {"X": 2, "XA": 2, "XB": 0}
    assert values("rectifications_overdue", sup)["XA"] == 0
    Rectification.objects.filter(pk=Rectification.objects.first().pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert values("rectifications_overdue", sup)["XA"] == 1
    assert values("rectifications_open", sup)["XA"] == 2
