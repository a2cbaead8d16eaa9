"""The migration that brings existing caregivers into the roster (``0002_adopt_caregivers``),
run on a provider's live dispatch data: every caregiver gets a person and an open
employment, nothing of the dispatch profile changes, and dispatch and the optimiser keep
working on the migrated records."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from tests.scheduling.conftest import TOMORROW
from tests.visits.conftest import Care
from yiyang.scheduling import planning
from yiyang.services import services as catalogue
from yiyang.services.models import Caregiver
from yiyang.visits.services import visit_assign
from yiyang.workforce.models import Employment, Person
from yiyang.workforce.selectors import person_record

pytestmark = pytest.mark.django_db

adopt = importlib.import_module("yiyang.workforce.migrations.0002_adopt_caregivers").adopt


def _skills(provider: object) -> dict[str, list[str]]:
    day = planning.build_day(provider=provider, day=TOMORROW)  # type: ignore[arg-type]
    return {c.id: sorted(c.skills) for c in day.problem.caregivers}


def test_existing_caregivers_migrate_without_loss(care: Care) -> None:
    gone = catalogue.caregiver_save(
        actor=care.manager, provider=care.provider, name="钱护理", status="left"
    )
    profiles = list(Caregiver.objects.order_by("pk").values())
    skills = _skills(care.provider)

    adopt(apps, None)
    adopt(apps, None)  # a second run adopts nobody twice

    assert list(Caregiver.objects.order_by("pk").values()) == profiles
    employments = {e.caregiver.name: e for e in Employment.objects.select_related("caregiver")}
    assert set(employments) == {"王护理", "李护理", "赵护理", "钱护理"}
    assert Person.objects.count() == 4
    wang = employments["王护理"]
    assert (wang.person.name, wang.provider, wang.hired_on, wang.left_on) == (
        "王护理",
        care.provider,
        wang.caregiver.created_at.date(),
        None,
    )
    left = employments["钱护理"]
    assert (left.left_on, left.leave_reason) == (gone.created_at.date(), "other")
    assert [c.number for c in person_record(wang.person)["certificates"]] == ["C-wang"]
    assert _skills(care.provider) == skills


def test_dispatch_and_the_optimiser_work_on_migrated_caregivers(care: Care) -> None:
    adopt(apps, None)
    wang, zhao = care.caregivers["wang"], care.caregivers["zhao"]
    first, second = care.order("ZY01").visits.get(), care.order("ZY01").visits.get()

    assigned = visit_assign(actor=care.manager, visit=first, caregivers=[wang])
    day = planning.build_day(provider=care.provider, day=TOMORROW)
    solved = planning.solve_day(day, time_limit=0.5, seed=1)
    proposal = planning.proposal_json(day, solved)

    assert assigned.status == "assigned"
    rows = {row["id"]: row for row in proposal["visits"]}
    proposed = rows[str(second.external_id)]["proposed"]["caregivers"]
    assert proposed and str(zhao.external_id) not in proposed  # zhao's certificate expired
