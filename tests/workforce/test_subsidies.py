"""Post subsidies: rules as data, the once-a-month rule, Decimal money."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import OrganisationFactory
from tests.visits.conftest import Care
from yiyang.core.permissions import Role
from yiyang.services.models import Caregiver
from yiyang.workforce.models import Employment, SubsidyEntitlement
from yiyang.workforce.services import subsidies_evaluate, subsidy_rule_save

pytestmark = pytest.mark.django_db


def _rules(care: Care) -> None:
    admin, city = care.world.user[Role.CITY_ADMIN], care.world.div["X"]
    start = datetime.date(2020, 1, 1)
    subsidy_rule_save(
        actor=admin,
        city=city,
        name="持证岗位补贴",
        kind="post",
        amount="200",
        qualification="elder_care_worker",
        valid_from=start,
    )
    subsidy_rule_save(
        actor=admin,
        city=city,
        name="四级岗位补贴",
        kind="post",
        amount="300.5",
        min_skill_level="4",
        valid_from=start,
    )
    subsidy_rule_save(
        actor=admin, city=city, name="入职补贴", kind="entry", amount="1000", valid_from=start
    )


def test_each_person_gets_the_best_rule_once_a_month(roster: Care) -> None:
    _rules(roster)
    admin, city = roster.world.user[Role.CITY_ADMIN], roster.world.div["X"]
    wang = Employment.objects.get(caregiver=roster.caregivers["wang"]).person
    wang.skill_level = "3"
    wang.save()
    month = timezone.localdate().replace(day=1)

    first = subsidies_evaluate(actor=admin, city=city, month=month)
    again = subsidies_evaluate(actor=admin, city=city, month=month)

    assert again == []
    mine = {(e.kind, e.amount) for e in SubsidyEntitlement.objects.filter(person=wang)}
    assert mine == {("post", Decimal("300.50")), ("entry", Decimal("1000.00"))}
    li = SubsidyEntitlement.objects.get(person__name="李护理", kind="post")
    assert (li.amount, li.reason) == (
        Decimal("200.00"),
        "持证岗位补贴; certificate:elder_care_worker",
    )
    # zhao's certificate expired: no post subsidy, the entry subsidy all the same
    assert list(SubsidyEntitlement.objects.filter(person__name="赵护理").values_list("kind")) == [
        ("entry",)
    ]
    assert len(first) == 5


def test_two_employers_in_one_month_pay_once(roster: Care) -> None:
    _rules(roster)
    admin, city = roster.world.user[Role.CITY_ADMIN], roster.world.div["X"]
    li = Employment.objects.get(caregiver=roster.caregivers["li"])
    other = OrganisationFactory(name="院B", division=roster.world.div["XA1a"])
    second = Caregiver.objects.create(
        provider=other, name="李护理", work_start=datetime.time(8), work_end=datetime.time(17)
    )
    Employment.objects.create(
        person=li.person, provider=other, caregiver=second, hired_on=li.hired_on
    )

    subsidies_evaluate(actor=admin, city=city, month=timezone.localdate())

    assert SubsidyEntitlement.objects.filter(person=li.person, kind="post").count() == 1
    entitlement = SubsidyEntitlement.objects.get(person=li.person, kind="post")
    entitlement.pk, entitlement.external_id, entitlement.provider = None, uuid.uuid4(), other
    with pytest.raises(IntegrityError), transaction.atomic():
        entitlement.save()


def test_entry_subsidy_is_paid_once_ever(roster: Care) -> None:
    _rules(roster)
    admin, city = roster.world.user[Role.CITY_ADMIN], roster.world.div["X"]
    month = timezone.localdate().replace(day=1)
    subsidies_evaluate(actor=admin, city=city, month=month)

    later = subsidies_evaluate(actor=admin, city=city, month=month + datetime.timedelta(days=40))

    assert {e.kind for e in later} == {"post"}


def test_a_rule_that_would_pay_the_same_people_twice_is_refused(roster: Care) -> None:
    _rules(roster)
    admin, city = roster.world.user[Role.CITY_ADMIN], roster.world.div["X"]

    with pytest.raises(ValidationError) as refused:
        subsidy_rule_save(
            actor=admin,
            city=city,
            name="重复",
            kind="post",
            amount="250",
            qualification="elder_care_worker",
            valid_from=datetime.date(2024, 1, 1),
        )
    with pytest.raises(ValidationError) as bad_amount:
        subsidy_rule_save(
            actor=admin,
            city=city,
            name="负数",
            kind="post",
            amount="-1",
            valid_from=datetime.date(2024, 1, 1),
        )
    with pytest.raises(PermissionDenied):
        subsidy_rule_save(
            actor=roster.manager,
            city=city,
            name="x",
            kind="post",
            amount="1",
            valid_from=datetime.date(2024, 1, 1),
        )

    assert "once a month" in refused.value.message_dict["kind"][0]
    assert "amount" in bad_amount.value.message_dict
