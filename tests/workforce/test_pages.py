"""The roster's pages: scope, import with its error report, QR check-in on the phone."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import login, token_for
from tests.factories import UserFactory
from tests.visits.conftest import Care
from tests.workforce.conftest import person_id, roster_file
from yiyang.core.permissions import Role
from yiyang.workforce.models import Employment, Enrolment, Person
from yiyang.workforce.services import course_create, enrolment_add, session_create

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    return login(Client(), user)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("manager", True),
        (Role.DISTRICT_OFFICER, True),
        (Role.CITY_ADMIN, True),
        (Role.PROVIDER_MANAGER, False),
        ("admin_Y", False),
    ],
)
def test_roster_is_scoped(roster: Care, who: str, sees: bool) -> None:
    user = roster.manager if who == "manager" else roster.world.user[who]
    person = Employment.objects.get(caregiver=roster.caregivers["wang"]).person
    client = _client(user)

    listing = client.get("/workforce/")
    page = client.get(f"/workforce/people/{person.external_id}/")

    assert listing.status_code == 200
    assert ("王护理" in listing.content.decode()) is sees
    assert page.status_code == (200 if sees else 404)


def test_roles_without_the_roster_get_403(roster: Care) -> None:
    for role in (Role.CAREGIVER, Role.FAMILY, Role.OPERATOR):
        assert _client(roster.world.user[role]).get("/workforce/").status_code == 403


def test_roster_filters_and_query_count(roster: Care, tmp_path: Path) -> None:
    client = _client(roster.manager)
    Person.objects.filter(name="李护理").update(skill_level="4")

    filtered = client.get("/workforce/?skill_level=4").content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(roster.manager)}")
    urls = [(client, "/workforce/"), (api, "/api/v1/workforce/employments/")]
    for who, url in urls:
        who.get(url)
    few = [_queries(who, url) for who, url in urls]
    for seq in range(20):
        roster_import(roster, seq, tmp_path)
    many = [_queries(who, url) for who, url in urls]

    assert "李护理" in filtered and "王护理" not in filtered
    assert many == few


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def roster_import(roster: Care, seq: int, folder: Path) -> None:
    from yiyang.workforce.services.importing import roster_import as run

    path = roster_file(
        folder,
        [[f"员工{seq}", person_id(100 + seq), "", "", "", "2024-01-01", "", "", "", "", ""]],
        f"r{seq}.csv",
    )
    run(actor=roster.manager, path=path, provider=roster.provider)


def test_upload_shows_each_rejected_row(roster: Care, tmp_path: Path) -> None:
    path = roster_file(
        tmp_path,
        [
            ["陈护理", person_id(1), "", "", "四级", "2024-03-01", "", "", "", "", ""],
            ["怪级", person_id(2), "", "", "六级", "2024-03-01", "", "", "", "", ""],
        ],
    )
    client = _client(roster.manager)

    with path.open("rb") as handle:
        page = client.post(
            "/workforce/import/", {"file": handle, "provider": str(roster.provider.external_id)}
        )
    with path.open("rb") as handle:
        report = client.post(
            "/workforce/import/",
            {
                "file": handle,
                "report": "1",
                "dry_run": "1",
                "provider": str(roster.provider.external_id),
            },
        )

    text = page.content.decode()
    assert page.status_code == 200 and 'id="import-errors"' in text and "技能等级" in text
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert Person.objects.filter(name="陈护理").count() == 1


def test_unreadable_upload_says_why(roster: Care, tmp_path: Path) -> None:
    path = tmp_path / "roster.pdf"
    path.write_bytes(b"%PDF-1.4")
    with path.open("rb") as handle:
        page = _client(roster.manager).post("/workforce/import/", {"file": handle})
    assert page.status_code == 200 and ".pdf" in page.content.decode()


def test_qr_check_in_on_the_phone_and_the_record(roster: Care) -> None:
    admin = roster.world.user[Role.CITY_ADMIN]
    course = course_create(
        actor=admin,
        division=roster.world.div["X"],
        name="失智照护",
        theory_hours=4,
        practice_hours=4,
    )
    start = timezone.now() - datetime.timedelta(minutes=5)
    session = session_create(
        actor=admin,
        course=course,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=3),
        place="站点",
        capacity=5,
    )
    wang = Employment.objects.get(caregiver=roster.caregivers["wang"]).person
    enrolment_add(actor=roster.manager, session=session, person=wang)
    phone = _client(roster.world.user[Role.CAREGIVER])

    session_page = _client(admin).get(f"/workforce/training/sessions/{session.external_id}/")
    url = f"/workforce/training/checkin/{session.checkin_token}/"
    opened = phone.get(url)
    checked = phone.post(url)
    twice = phone.post(url)
    record = phone.get("/workforce/me/")

    assert session_page.status_code == 200 and "<svg" in session_page.content.decode()
    assert opened.status_code == 200 and 'id="checkin-form"' in opened.content.decode()
    assert 'id="checked-in"' in checked.content.decode()
    assert "already checked in" in twice.content.decode() or "已经" in twice.content.decode()
    assert Enrolment.objects.get(person=wang).status == "attended"
    assert "失智照护" in record.content.decode()
    assert phone.get("/workforce/training/checkin/nonsense/").status_code == 404


def test_my_record_without_a_roster_entry(world) -> None:  # type: ignore[no-untyped-def]
    login_only = UserFactory(
        username="cg2", role=Role.CAREGIVER, organisation=world.org["home_care"]
    )
    page = _client(login_only).get("/workforce/me/")
    assert page.status_code == 200 and 'id="no-record"' in page.content.decode()


def test_a_caregiver_enrols_on_the_session_page(roster: Care) -> None:
    admin = roster.world.user[Role.CITY_ADMIN]
    course = course_create(
        actor=admin,
        division=roster.world.div["X"],
        name="康复护理",
        theory_hours=2,
        practice_hours=2,
    )
    start = timezone.now() + datetime.timedelta(days=2)
    session = session_create(
        actor=admin,
        course=course,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        place="站点",
        capacity=5,
    )
    phone = _client(roster.world.user[Role.CAREGIVER])
    url = f"/workforce/training/sessions/{session.external_id}/"

    own_page = phone.get(url).content.decode()
    assert 'id="enrol-self-form"' in own_page and session.checkin_token not in own_page
    phone.post(url, {"enrol_self": "1"})
    again = phone.post(url, {"enrol_self": "1"}, follow=True)

    assert Enrolment.objects.filter(session=session, person__name="王护理").count() == 1
    assert (
        "已报名本期培训" in again.content.decode() or "Already enrolled" in again.content.decode()
    )
