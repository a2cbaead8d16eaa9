"""The workforce API: roster, record, leave, training by QR token, import, subsidies."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import token_for
from tests.visits.conftest import Care
from tests.workforce.conftest import person_id, roster_file
from yiyang.core.permissions import Role
from yiyang.workforce.models import Employment

pytestmark = pytest.mark.django_db


def _api(user) -> Client:  # type: ignore[no-untyped-def]
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")


def test_roster_record_and_leave(roster: Care) -> None:
    api = _api(roster.manager)
    wang = Employment.objects.get(caregiver=roster.caregivers["wang"])

    listing = api.get("/api/v1/workforce/employments/?status=current&q=王").json()
    record = api.get(f"/api/v1/workforce/people/{wang.person.external_id}/").json()
    bad = api.post(
        f"/api/v1/workforce/employments/{wang.external_id}/leave/",
        {"left_on": "1999-01-01", "leave_reason": "pay"},
        content_type="application/json",
    )
    left = api.post(
        f"/api/v1/workforce/employments/{wang.external_id}/leave/",
        {"left_on": timezone.localdate().isoformat(), "leave_reason": "pay"},
        content_type="application/json",
    )

    assert [row["person"]["name"] for row in listing["results"]] == ["王护理"]
    assert [c["number"] for c in record["certificates"]] == ["C-wang"]
    assert bad.status_code == 400 and "left_on" in bad.json()
    assert left.status_code == 200 and left.json()["leave_reason"] == "pay"
    wang.caregiver.refresh_from_db()
    assert wang.caregiver.status == "left"


def test_session_check_in_by_token(roster: Care) -> None:
    admin = _api(roster.world.user[Role.CITY_ADMIN])
    course = admin.post(
        "/api/v1/workforce/courses/",
        {
            "name": "急救",
            "division": roster.world.div["X"].code,
            "theory_hours": "2",
            "practice_hours": "2",
        },
        content_type="application/json",
    )
    start = timezone.now() - datetime.timedelta(minutes=1)
    session = admin.post(
        "/api/v1/workforce/sessions/",
        {
            "course": course.json()["id"],
            "starts_at": start.isoformat(),
            "ends_at": (start + datetime.timedelta(hours=1)).isoformat(),
            "place": "中心",
            "capacity": 3,
        },
        content_type="application/json",
    )
    session_id = session.json()["id"]
    phone = _api(roster.world.user[Role.CAREGIVER])
    enrolled = phone.post(
        f"/api/v1/workforce/sessions/{session_id}/enrol/", {}, content_type="application/json"
    )
    from yiyang.workforce.models import TrainingSession

    token = TrainingSession.objects.get(external_id=session_id).checkin_token
    checked = phone.post(
        "/api/v1/workforce/sessions/check-in/", {"token": token}, content_type="application/json"
    )
    again = phone.post(
        "/api/v1/workforce/sessions/check-in/", {"token": token}, content_type="application/json"
    )
    wrong = phone.post(
        "/api/v1/workforce/sessions/check-in/", {"token": "x"}, content_type="application/json"
    )

    assert (course.status_code, session.status_code, enrolled.status_code) == (201, 201, 201)
    assert checked.status_code == 200 and checked.json()["status"] == "attended"
    assert again.status_code == 400
    assert wrong.status_code == 404


def test_roster_import_over_the_api(roster: Care, tmp_path: Path) -> None:
    path = roster_file(
        tmp_path,
        [
            ["陈护理", person_id(1), "", "", "", "2024-03-01", "", "", "", "", "居家公司P"],
            ["坏日期", person_id(2), "", "", "", "2024-13-45", "", "", "", "", "居家公司P"],
        ],
    )
    api = _api(roster.manager)
    with path.open("rb") as handle:
        result = api.post("/api/v1/workforce/roster-imports/", {"file": handle}).json()
    junk = tmp_path / "a.doc"
    junk.write_bytes(b"x")
    with junk.open("rb") as handle:
        unreadable = api.post("/api/v1/workforce/roster-imports/", {"file": handle})

    assert (result["created"], result["rejected"]) == (1, 1)
    assert result["errors"][0]["row"] == 3 and result["errors"][0]["column"] == "入职日期"
    assert unreadable.status_code == 400 and "file" in unreadable.json()


def test_subsidy_rules_and_evaluation(roster: Care) -> None:
    admin = _api(roster.world.user[Role.CITY_ADMIN])
    created = admin.post(
        "/api/v1/workforce/subsidy-rules/",
        {
            "name": "岗位补贴",
            "kind": "post",
            "amount": "150.00",
            "qualification": "elder_care_worker",
            "valid_from": "2020-01-01",
        },
        content_type="application/json",
    )
    evaluated = admin.post(
        "/api/v1/workforce/subsidies/evaluate/",
        {"month": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    listing = _api(roster.manager).get("/api/v1/workforce/subsidies/").json()
    refused = _api(roster.manager).post(
        "/api/v1/workforce/subsidies/evaluate/",
        {"month": "2025-01-01"},
        content_type="application/json",
    )

    assert created.status_code == 201
    assert sorted(row["person_name"] for row in evaluated.json()) == ["李护理", "王护理"]
    assert {row["amount"] for row in listing["results"]} == {"150.00"}
    assert refused.status_code == 403


def test_the_city_changes_a_subsidy_rule_and_reads_contests(roster: Care) -> None:
    import datetime as dt

    from yiyang.workforce.services import contest_create, contest_entry_add

    admin = roster.world.user[Role.CITY_ADMIN]
    api = _api(admin)
    made = api.post(
        "/api/v1/workforce/subsidy-rules/",
        {
            "name": "岗位补贴",
            "kind": "post",
            "amount": "200",
            "valid_from": "2020-01-01",
        },
        content_type="application/json",
    ).json()
    api.post(
        "/api/v1/workforce/subsidy-rules/",
        {
            "name": "持证补贴",
            "kind": "post",
            "amount": "300",
            "valid_from": "2020-01-01",
            "qualification": "elder_care_worker",
        },
        content_type="application/json",
    )
    url = f"/api/v1/workforce/subsidy-rules/{made['id']}/"

    changed = api.patch(url, {"amount": "250.00"}, content_type="application/json")
    clash = api.patch(url, {"qualification": "elder_care_worker"}, content_type="application/json")
    by_manager = _api(roster.manager).patch(url, {"amount": "1"}, content_type="application/json")
    contest = contest_create(
        actor=admin, city=roster.world.div["X"], name="大赛", held_on=dt.date(2026, 10, 20)
    )
    wang = Employment.objects.get(caregiver=roster.caregivers["wang"]).person
    contest_entry_add(actor=roster.manager, contest=contest, event="急救", person=wang)
    contests = _api(roster.manager).get("/api/v1/workforce/contests/").json()["results"]

    assert changed.status_code == 200 and changed.json()["amount"] == "250.00"
    assert clash.status_code == 400 and "kind" in clash.json()
    assert by_manager.status_code in (403, 404)
    assert [(c["name"], [e["person_name"] for e in c["entries"]]) for c in contests] == [
        ("大赛", ["王护理"]),
    ]
