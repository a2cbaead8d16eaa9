"""Training: QR check-in once and on time, results, certificates that dispatch counts."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.factories import UserFactory
from tests.visits.conftest import Care
from yiyang.core.permissions import Role
from yiyang.services import services as catalogue
from yiyang.services.selectors import certificates_valid_on
from yiyang.visits.services import visit_assign
from yiyang.workforce.models import Employment
from yiyang.workforce.selectors import person_record
from yiyang.workforce.services import (
    course_create,
    enrolment_add,
    enrolment_result_record,
    session_check_in,
    session_create,
)

pytestmark = pytest.mark.django_db


def _session(care: Care, *, starts_in: int = -10, hours: int = 2):  # type: ignore[no-untyped-def]
    admin = care.world.user[Role.CITY_ADMIN]
    course = course_create(
        actor=admin,
        division=care.world.div["X"],
        name="养老护理员（四级）培训",
        theory_hours="16",
        practice_hours="24",
        target_level="4",
        qualification="elder_care_worker",
        certificate_valid_months=24,
    )
    start = timezone.now() + datetime.timedelta(minutes=starts_in)
    return session_create(
        actor=admin,
        course=course,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=hours),
        place="市培训中心",
        capacity=30,
    )


def _zhao_with_login(roster: Care):  # type: ignore[no-untyped-def]
    login = UserFactory(username="zhao", role=Role.CAREGIVER, organisation=roster.provider)
    catalogue.caregiver_save(
        actor=roster.manager,
        provider=roster.provider,
        caregiver=roster.caregivers["zhao"],
        user=login,
    )
    return login, Employment.objects.get(caregiver=roster.caregivers["zhao"]).person


def test_training_certificate_lets_dispatch_assign(roster: Care) -> None:
    login, person = _zhao_with_login(roster)
    visit = roster.order("ZY01").visits.get()
    with pytest.raises(ValidationError, match="expired"):
        visit_assign(actor=roster.manager, visit=visit, caregivers=[roster.caregivers["zhao"]])
    session = _session(roster)
    enrolment = enrolment_add(actor=roster.manager, session=session, person=person)

    session_check_in(actor=login, session=session)
    enrolment.refresh_from_db()
    result = enrolment_result_record(
        actor=roster.world.user[Role.CITY_ADMIN], enrolment=enrolment, score="86.5", passed=True
    )

    assert (result.status, str(result.exam_score), str(result.hours)) == ("passed", "86.5", "40.0")
    certificate = result.certificate
    assert certificate.caregiver == roster.caregivers["zhao"]
    assert certificate.expires_on == timezone.localdate().replace(
        year=timezone.localdate().year + 2
    )
    assert certificate.issue.issuer == "城X"
    held = certificates_valid_on(
        caregiver_ids=[roster.caregivers["zhao"].pk], day=timezone.localdate()
    )
    assert held[roster.caregivers["zhao"].pk]["elder_care_worker"] == certificate.expires_on
    assigned = visit_assign(
        actor=roster.manager, visit=visit, caregivers=[roster.caregivers["zhao"]]
    )
    assert assigned.status == "assigned"
    person.refresh_from_db()
    assert person.skill_level == "4"
    record = person_record(person)
    assert certificate in record["certificates"]
    assert record["hours_this_year"] == 40


def test_check_in_twice_or_outside_the_session_is_refused(roster: Care) -> None:
    login, person = _zhao_with_login(roster)
    now_session = _session(roster)
    later = _session(roster, starts_in=24 * 60)
    enrolment_add(actor=roster.manager, session=now_session, person=person)
    enrolment_add(actor=roster.manager, session=later, person=person)

    session_check_in(actor=login, session=now_session)
    with pytest.raises(ValidationError, match="already checked in"):
        session_check_in(actor=login, session=now_session)
    with pytest.raises(ValidationError, match="Check-in is open from"):
        session_check_in(actor=login, session=later)


def test_check_in_needs_enrolment_and_a_caregiver_login(roster: Care) -> None:
    login, _person = _zhao_with_login(roster)
    session = _session(roster)

    with pytest.raises(ValidationError, match="not enrolled"):
        session_check_in(actor=login, session=session)
    with pytest.raises(PermissionDenied):
        session_check_in(actor=roster.manager, session=session)


def test_result_only_after_attendance_and_by_the_organiser(roster: Care) -> None:
    _login, person = _zhao_with_login(roster)
    session = _session(roster)
    enrolment = enrolment_add(actor=roster.manager, session=session, person=person)

    with pytest.raises(PermissionDenied):
        enrolment_result_record(actor=roster.manager, enrolment=enrolment, score=90, passed=True)
    with pytest.raises(ValidationError, match="attended"):
        enrolment_result_record(
            actor=roster.world.user[Role.CITY_ADMIN], enrolment=enrolment, score=90, passed=True
        )


def test_provider_enrols_only_its_own_staff(roster: Care, world) -> None:  # type: ignore[no-untyped-def]
    _login, person = _zhao_with_login(roster)
    other = UserFactory(
        username="m2", role=Role.PROVIDER_MANAGER, organisation=world.org["station_XA1a"]
    )

    with pytest.raises(PermissionDenied):
        enrolment_add(actor=other, session=_session(roster), person=person)


def test_reminders_30_days_before_expiry_once(roster: Care) -> None:
    from yiyang.services.models import Certificate
    from yiyang.workforce.selectors import certificate_reminders
    from yiyang.workforce.services import certificate_reminders_create

    today = timezone.localdate()
    Certificate.objects.filter(number="C-li").update(expires_on=today + datetime.timedelta(days=20))

    first = certificate_reminders_create(today=today)
    again = certificate_reminders_create(today=today)
    page = login(Client(), roster.users["li"]).get("/workforce/me/").content.decode()

    assert (first, again) == (1, 0)
    assert [r.person.name for r in certificate_reminders(actor=roster.manager)] == ["李护理"]
    assert certificate_reminders(actor=roster.world.user[Role.PROVIDER_MANAGER]).count() == 0
    assert 'id="reminders"' in page
