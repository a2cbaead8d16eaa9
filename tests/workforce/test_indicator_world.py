"""The workforce's figures on a hand-made world with known answers, at city and district
level, and "—" where there is nobody to divide by (an empty district).

Provider P (district XA): 王 level 4 with a valid certificate, 李 level 2 with a
certificate expiring in 10 days and 12 training hours this month, 赵 with no level and no
certificate; 钱 left P two months ago for pay. Station XB1a (district XB): 孙 level 5 with an
expired certificate. District XC has no caregiver at all.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import World
from tests.indicators.conftest import compute, dec, this_month
from yiyang.core.indicators import catalogue
from yiyang.core.models import Division
from yiyang.services.models import Caregiver, Certificate
from yiyang.workforce.models import Course, Employment, Enrolment, Person, TrainingSession

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)


def staff(
    world: World,
    org: str,
    name: str,
    *,
    level: str = "",
    expires: Any = None,
    left: datetime.date | None = None,
) -> Person:
    provider = world.org[org]
    caregiver = Caregiver.objects.create(
        provider=provider,
        name=name,
        work_start=datetime.time(8),
        work_end=datetime.time(17),
        status="left" if left else "active",
    )
    person = Person.objects.create(city=world.div["X"], name=name, skill_level=level)
    today = timezone.localdate()
    Employment.objects.create(
        person=person,
        provider=provider,
        caregiver=caregiver,
        hired_on=today - datetime.timedelta(days=800),
        left_on=left,
        leave_reason="pay" if left else "",
    )
    if expires is not None:
        Certificate.objects.create(
            caregiver=caregiver,
            qualification="elder_care_worker",
            number=f"C{next(_seq)}",
            issued_on=today - datetime.timedelta(days=400),
            expires_on=expires,
        )
    return person


def hand_made(world: World) -> Division:
    today = timezone.localdate()
    days = datetime.timedelta
    staff(world, "home_care", "王", level="4", expires=today + days(700))
    li = staff(world, "home_care", "李", level="2", expires=today + days(10))
    staff(world, "home_care", "赵")
    staff(world, "home_care", "钱", level="3", left=today - days(60))
    staff(world, "station_XB1a", "孙", level="5", expires=today - days(5))
    course = Course.objects.create(
        city=world.div["X"],
        name="失能照护",
        organiser_kind="city",
        division=world.div["X"],
        theory_hours=Decimal(8),
        practice_hours=Decimal(4),
    )
    start = timezone.now() - days(hours=3) if today.day > 1 else timezone.now()
    session = TrainingSession.objects.create(
        course=course,
        starts_at=start,
        ends_at=start + days(hours=2),
        place="市培训中心",
        capacity=30,
        checkin_token="t1",
    )
    Enrolment.objects.create(
        session=session,
        person=li,
        provider=world.org["home_care"],
        status="attended",
        attended_at=start,
        hours=Decimal(12),
    )
    return Division.objects.create(
        code="419122000000", name="区XC", level="district", parent=world.div["X"]
    )


def test_skill_level_mix_adds_up_and_is_blank_without_caregivers(world: World) -> None:
    d, xc = world.div, hand_made(world)
    at = (d["X"], d["XA"], d["XB"], xc)

    assert compute("caregivers_skill_4", *at) == [25, dec("33.33"), 0, None]
    assert compute("caregivers_skill_2", *at) == [25, dec("33.33"), 0, None]
    assert compute("caregivers_skill_5", *at) == [25, 0, 100, None]
    assert compute("caregivers_skill_none", *at) == [25, dec("33.33"), 0, None]
    shares = [compute(f"caregivers_skill_{lv}", d["X"])[0] for lv in ("1", "2", "3", "4", "5")]
    assert sum(shares) + compute("caregivers_skill_none", d["X"])[0] == 100
    assert catalogue()["caregivers_skill_4"].compute(this_month(), [xc])[xc.pk].display == "—"


def test_certified_share_expiring_certificates_and_training_hours(world: World) -> None:
    d, xc = world.div, hand_made(world)
    at = (d["X"], d["XA"], d["XB"], xc)

    assert compute("caregivers", *at) == [4, 3, 1, 0]
    assert compute("caregivers_certified", *at) == [50, dec("66.67"), 0, None]
    assert compute("certificates_expiring", *at) == [1, 1, 0, 0]
    assert compute("training_hours_per_caregiver", *at) == [3, 4, 0, None]
    hours = catalogue()["training_hours_per_caregiver"].compute(this_month(), [xc])[xc.pk]
    assert hours.display == "—"


def test_turnover_and_its_reasons(world: World) -> None:
    d, xc = world.div, hand_made(world)
    at = (d["X"], d["XA"], d["XB"], xc)

    assert compute("caregiver_leavers_pay", *at) == [1, 1, 0, 0]
    assert compute("caregiver_leavers_transfer", *at) == [0, 0, 0, 0]
    turnover = catalogue()["caregiver_turnover"].compute(this_month(), list(at))
    assert turnover[d["XB"].pk].numerator == 0 and turnover[d["XA"].pk].numerator == 1
    assert turnover[xc.pk].display == "—"
