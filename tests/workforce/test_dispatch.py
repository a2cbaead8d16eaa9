"""Dispatch and the optimiser on roster records: adopted and imported caregivers keep their
dispatch profiles, and a certificate earned in training counts in both."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scheduling.conftest import TOMORROW
from tests.visits.conftest import ALL_DAY, Care
from tests.workforce.conftest import person_id, roster_file
from tests.workforce.test_training import _session, _zhao_with_login
from yiyang.core.permissions import Role
from yiyang.scheduling import planning
from yiyang.services import services as catalogue
from yiyang.visits.services import visit_assign
from yiyang.workforce.models import Employment
from yiyang.workforce.services import (
    enrolment_add,
    enrolment_result_record,
    roster_import,
    session_check_in,
)

pytestmark = pytest.mark.django_db


def test_the_optimiser_sees_a_certificate_earned_in_training(roster: Care) -> None:
    login, person = _zhao_with_login(roster)
    zhao = str(roster.caregivers["zhao"].external_id)
    before = planning.build_day(provider=roster.provider, day=TOMORROW)
    session = _session(roster)
    enrolment = enrolment_add(actor=roster.manager, session=session, person=person)
    session_check_in(actor=login, session=session)
    enrolment.refresh_from_db()
    enrolment_result_record(
        actor=roster.world.user[Role.CITY_ADMIN], enrolment=enrolment, score=75, passed=True
    )

    after = planning.build_day(provider=roster.provider, day=TOMORROW)

    skills = {c.id: c.skills for c in before.problem.caregivers}
    assert "q:elder_care_worker" not in skills[zhao]
    skills = {c.id: c.skills for c in after.problem.caregivers}
    assert "q:elder_care_worker" in skills[zhao]


def test_an_imported_caregiver_is_dispatched(roster: Care, tmp_path: Path) -> None:
    path = roster_file(
        tmp_path,
        [
            ["孙护理", person_id(3), "", "", "四级", "2024-03-01", "", "", "ZS9", "2030-01-01", ""],
        ],
    )
    roster_import(actor=roster.manager, path=path, provider=roster.provider)
    caregiver = Employment.objects.get(person__name="孙护理").caregiver
    catalogue.caregiver_save(
        actor=roster.manager,
        provider=roster.provider,
        caregiver=caregiver,
        skills=["bathing"],
        **ALL_DAY,
    )
    visit = roster.order("ZY01").visits.get()

    assigned = visit_assign(actor=roster.manager, visit=visit, caregivers=[caregiver])

    assert assigned.status == "assigned"
    day = planning.build_day(provider=roster.provider, day=TOMORROW)
    assert str(caregiver.external_id) in {c.id for c in day.problem.caregivers}
