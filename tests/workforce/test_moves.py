"""A caregiver who moves employer: one record in the city roster, the employment history
kept, the skill level and certificates going with the person to the new employer's
dispatch profile (and so into the new employer's dispatch rules)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.visits.conftest import Care
from tests.workforce.conftest import person_id, roster_file
from tests.workforce.test_training import _session
from yiyang.accounts.models import User
from yiyang.core.permissions import Role
from yiyang.services.models import Certificate
from yiyang.services.selectors import certificates_valid_on
from yiyang.workforce.models import CertificateIssue, Employment, Person
from yiyang.workforce.selectors import person_record
from yiyang.workforce.services import (
    employment_end,
    enrolment_result_record,
    roster_import,
)

pytestmark = pytest.mark.django_db


def _row(employer: str, hired: str, **extra: str) -> list[str]:
    row = ["孟护理", person_id(41), "", "大专", "三级", hired, "", "", "", "", employer]
    if "cert" in extra:
        row[8], row[9] = extra["cert"], extra["expires"]
    return row


def _hire_at_station(roster: Care, tmp_path: Path, hired: str):  # type: ignore[no-untyped-def]
    station = roster.world.org["station_XA1a"]
    manager = User.objects.filter(username="m_station").first() or UserFactory(
        username="m_station", role=Role.PROVIDER_MANAGER, organisation=station
    )
    path = roster_file(tmp_path, [_row("", hired)], "station.csv")
    result = roster_import(actor=manager, path=path, provider=station)
    return station, result


def test_a_move_keeps_history_skill_level_and_certificates(roster: Care, tmp_path: Path) -> None:
    first = roster_file(tmp_path, [_row("", "2022-03-01", cert="ZS41", expires="2031-06-30")])
    roster_import(actor=roster.manager, path=first, provider=roster.provider)
    old = Employment.objects.get(person__name="孟护理")
    CertificateIssue.objects.create(certificate=old.caregiver.certificates.get(), issuer="市人社局")
    employment_end(
        actor=roster.manager, employment=old, left_on=datetime.date(2025, 5, 31), reason="transfer"
    )

    station, result = _hire_at_station(roster, tmp_path, "2025-06-01")

    assert (result.created, result.rejected) == (1, 0)
    person = Person.objects.get(name="孟护理")
    assert person.skill_level == "3"
    assert [(e.provider, e.left_on) for e in person.employments.order_by("hired_on")] == [
        (roster.provider, datetime.date(2025, 5, 31)),
        (station, None),
    ]
    new = person.employments.get(left_on__isnull=True).caregiver
    copied = new.certificates.get()
    assert (copied.number, copied.expires_on, copied.issue.issuer) == (
        "ZS41",
        datetime.date(2031, 6, 30),
        "市人社局",
    )
    assert old.caregiver.certificates.get().number == "ZS41"  # the history stays
    held = certificates_valid_on(caregiver_ids=[new.pk], day=timezone.localdate())
    assert held[new.pk] == {"elder_care_worker": datetime.date(2031, 6, 30)}
    record = person_record(person)
    assert [(c.number, c.caregiver_id) for c in record["certificates"]] == [("ZS41", new.pk)]


def test_a_re_import_at_the_new_employer_copies_nothing_twice(roster: Care, tmp_path: Path) -> None:
    first = roster_file(tmp_path, [_row("", "2022-03-01", cert="ZS41", expires="2031-06-30")])
    roster_import(actor=roster.manager, path=first, provider=roster.provider)
    old = Employment.objects.get(person__name="孟护理")
    employment_end(
        actor=roster.manager, employment=old, left_on=datetime.date(2025, 5, 31), reason="transfer"
    )

    _hire_at_station(roster, tmp_path, "2025-06-01")
    _station, again = _hire_at_station(roster, tmp_path, "2025-06-01")

    assert (again.created, again.updated) == (0, 1)
    assert Certificate.objects.filter(number="ZS41").count() == 2  # old profile + new one


def test_a_certificate_earned_between_employers_goes_to_the_next(
    roster: Care, tmp_path: Path
) -> None:
    first = roster_file(tmp_path, [_row("", "2022-03-01")])
    roster_import(actor=roster.manager, path=first, provider=roster.provider)
    person = Person.objects.get(name="孟护理")
    session = _session(roster)
    enrolment = session.enrolments.create(
        person=person, provider=roster.provider, attended_at=timezone.now(), status="attended"
    )
    employment_end(
        actor=roster.manager,
        employment=person.employments.get(),
        left_on=timezone.localdate(),
        reason="family",
    )

    enrolment_result_record(
        actor=roster.world.user[Role.CITY_ADMIN], enrolment=enrolment, score=90, passed=True
    )
    _station, result = _hire_at_station(roster, tmp_path, timezone.localdate().isoformat())

    assert result.created == 1
    new = person.employments.get(left_on__isnull=True).caregiver
    assert list(new.certificates.values_list("qualification", flat=True)) == ["elder_care_worker"]
    assert Person.objects.get(pk=person.pk).skill_level == "3"  # level 4 course: no step down


def test_the_expiry_reminder_goes_to_the_new_employer(roster: Care, tmp_path: Path) -> None:
    from yiyang.workforce.services import certificate_reminders_create

    soon = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
    first = roster_file(tmp_path, [_row("", "2022-03-01", cert="ZS41", expires=soon)])
    roster_import(actor=roster.manager, path=first, provider=roster.provider)
    old = Employment.objects.get(person__name="孟护理")
    employment_end(
        actor=roster.manager, employment=old, left_on=datetime.date(2025, 5, 31), reason="transfer"
    )
    station, _result = _hire_at_station(roster, tmp_path, "2025-06-01")

    made = certificate_reminders_create()

    reminders = list(
        Person.objects.get(name="孟护理").reminders.values_list("provider_id", flat=True)
    )
    assert made == 1 and reminders == [station.pk]
