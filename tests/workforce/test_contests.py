"""Skills contests: entries from providers, ranks from scores, awards on the people."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import UserFactory
from tests.visits.conftest import Care
from yiyang.core.permissions import Role
from yiyang.workforce.models import Employment
from yiyang.workforce.selectors import person_record
from yiyang.workforce.services import contest_create, contest_entry_add, contest_scores_record

pytestmark = pytest.mark.django_db


def test_ranks_share_ties_and_awards_reach_the_record(roster: Care) -> None:
    admin = roster.world.user[Role.CITY_ADMIN]
    contest = contest_create(
        actor=admin,
        city=roster.world.div["X"],
        name="全市养老护理职业技能大赛",
        held_on=datetime.date(2026, 10, 20),
    )
    people = {
        n: Employment.objects.get(caregiver=roster.caregivers[n]).person
        for n in ("wang", "li", "zhao")
    }
    entries = {
        n: contest_entry_add(actor=roster.manager, contest=contest, event="失能照护", person=p)
        for n, p in people.items()
    }

    contest_scores_record(
        actor=admin,
        contest=contest,
        event="失能照护",
        scores={
            entries["wang"].external_id: "92.5",
            entries["li"].external_id: 92.5,
            entries["zhao"].external_id: "80",
        },
        awards=["一等奖", "二等奖", "三等奖"],
    )

    ranks = {
        n: (e.rank, e.award, e.score)
        for n, e in ((n, type(e).objects.get(pk=e.pk)) for n, e in entries.items())
    }
    assert ranks == {
        "wang": (1, "一等奖", Decimal("92.50")),
        "li": (1, "一等奖", Decimal("92.50")),
        "zhao": (3, "三等奖", Decimal("80.00")),
    }
    assert [e.award for e in person_record(people["zhao"])["contests"]] == ["三等奖"]


def test_entries_and_scores_are_checked(roster: Care, world) -> None:  # type: ignore[no-untyped-def]
    admin = roster.world.user[Role.CITY_ADMIN]
    contest = contest_create(
        actor=admin, city=world.div["X"], name="大赛", held_on=datetime.date(2026, 10, 20)
    )
    wang = Employment.objects.get(caregiver=roster.caregivers["wang"]).person
    other = UserFactory(
        username="m3", role=Role.PROVIDER_MANAGER, organisation=world.org["station_XA1a"]
    )
    entry = contest_entry_add(actor=roster.manager, contest=contest, event="急救", person=wang)

    with pytest.raises(PermissionDenied):
        contest_entry_add(actor=other, contest=contest, event="急救", person=wang)
    with pytest.raises(ValidationError):
        contest_entry_add(actor=roster.manager, contest=contest, event="急救", person=wang)
    with pytest.raises(ValidationError):
        contest_scores_record(
            actor=admin, contest=contest, event="急救", scores={entry.external_id: "-3"}
        )
