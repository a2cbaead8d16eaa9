"""The workforce's indicators in the catalogue."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.visits.conftest import Care
from yiyang.core.indicators import Period, catalogue
from yiyang.workforce.models import Employment

pytestmark = pytest.mark.django_db


def test_workforce_indicators_count_the_same_caregivers(roster: Care) -> None:
    wang = Employment.objects.get(caregiver=roster.caregivers["wang"])
    wang.person.skill_level = "4"
    wang.person.save()
    period = Period.of(timezone.localdate())
    city = roster.world.div["X"]
    found = {
        code: catalogue()[code].compute(period, [city])[city.pk]
        for code in ("caregivers", "caregivers_certified", "caregivers_level_4_plus")
    }

    assert found["caregivers"].value == 3
    # wang and li hold valid certificates; zhao's expired
    assert (found["caregivers_certified"].numerator, found["caregivers_certified"].value) == (
        2,
        Decimal("66.67"),
    )
    assert found["caregivers_level_4_plus"].numerator == 1
    assert "caregiver_gap" in catalogue() and "caregiver_turnover" in catalogue()


def test_turnover_indicator_leaves_transfers_out(roster: Care) -> None:
    today = timezone.localdate()
    hired = today - datetime.timedelta(days=500)
    Employment.objects.filter(caregiver=roster.caregivers["li"]).update(
        hired_on=hired, left_on=today - datetime.timedelta(days=40), leave_reason="pay"
    )
    Employment.objects.filter(caregiver=roster.caregivers["zhao"]).update(
        hired_on=hired, left_on=today - datetime.timedelta(days=40), leave_reason="transfer"
    )
    Employment.objects.filter(caregiver=roster.caregivers["wang"]).update(hired_on=hired)
    city = roster.world.div["X"]

    value = catalogue()["caregiver_turnover"].compute(Period.of(today), [city])[city.pk]

    assert value.numerator == 1


def test_a_caregiver_with_two_valid_certificates_is_counted_once(roster: Care) -> None:
    from yiyang.services.choices import Qualification
    from yiyang.services.models import Certificate

    wang = roster.caregivers["wang"]
    for number in ("A-2", "A-3"):  # renewed twice, the older ones still valid
        Certificate.objects.create(
            caregiver=wang, qualification=Qualification.ELDER_CARE_WORKER, number=number
        )
    city = roster.world.div["X"]

    value = catalogue()["caregivers_certified"].compute(Period.of(timezone.localdate()), [city])

    assert (value[city.pk].numerator, value[city.pk].value) == (2, Decimal("66.67"))
