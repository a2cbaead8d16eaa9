"""The interfaces other systems rely on: check-in/check-out with the visit, its state and
``flags`` in the answer; the day's list; clear 400s for bad input."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.conftest import login
from tests.visits.conftest import Care
from yiyang.visits.models import Visit

pytestmark = pytest.mark.django_db


def post(client, url: str, data: dict) -> object:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_check_in_and_out_answer_the_visit_with_state_and_flags(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03"), opened_minutes_ago=60)
    client = login(Client(), care.caregiver_user)
    at = (timezone.now() - datetime.timedelta(minutes=40)).isoformat()
    answer = post(
        client,
        f"/api/v1/visits/{visit.external_id}/check-in/",
        {
            "latitude": 34.7545,
            "longitude": 113.65,
            "accuracy": 12,
            "at": at,
        },
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "checked_in"
    assert [f["code"] for f in body["flags"]] == ["out_of_range"]
    assert "500" in body["flags"][0]["detail"]  # metres, in the reader's language
    out = post(
        client,
        f"/api/v1/visits/{visit.external_id}/check-out/",
        {
            "latitude": 34.75,
            "longitude": 113.65,
            "accuracy": 8,
            "at": timezone.now().isoformat(),
            "tasks_done": care.items["JW03"].checklist,
        },
    )
    assert out.status_code == 200, out.content
    assert out.json()["status"] == "checked_out"
    assert out.json()["review_status"] == "pending"
    assert out.json()["duration_minutes"] == 40


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"latitude": "north", "longitude": 113.65, "accuracy": 5},
        {"latitude": 0, "longitude": 0, "accuracy": 5},
        {"latitude": 34.75, "longitude": 113.65, "accuracy": 5000},
        {"latitude": 34.75, "longitude": 113.65, "accuracy": 5, "at": "yesterday-ish"},
        {"latitude": 1e308, "longitude": 113.65, "accuracy": 5},
    ],
)
def test_bad_check_ins_are_400_with_the_field(care: Care, payload: dict) -> None:
    visit = care.now_window(care.assigned("JW03"))
    client = login(Client(), care.caregiver_user)
    answer = post(client, f"/api/v1/visits/{visit.external_id}/check-in/", payload)
    assert answer.status_code == 400
    assert set(answer.json()) & {"latitude", "longitude", "accuracy", "at"}
    assert Visit.objects.get(pk=visit.pk).check_in_at is None


def test_someone_elses_visit_is_404_for_a_caregiver(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03", "li"))
    client = login(Client(), care.caregiver_user)
    answer = post(
        client,
        f"/api/v1/visits/{visit.external_id}/check-in/",
        {
            "latitude": 34.75,
            "longitude": 113.65,
            "accuracy": 5,
        },
    )
    assert answer.status_code == 404


def test_the_days_list_and_a_photo_upload(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03"), opened_minutes_ago=30)
    client = login(Client(), care.caregiver_user)
    listed = client.get(f"/api/v1/visits/?date={visit.date.isoformat()}")
    assert [row["id"] for row in listed.json()["results"]] == [str(visit.external_id)]
    assert client.get("/api/v1/visits/?date=2026-02-30").status_code == 400
    post(
        client,
        f"/api/v1/visits/{visit.external_id}/check-in/",
        {
            "latitude": 34.75,
            "longitude": 113.65,
            "accuracy": 5,
        },
    )
    image = io.BytesIO()
    Image.new("RGB", (10, 10)).save(image, "PNG")
    image.seek(0)
    image.name = "p.png"
    ok = client.post(f"/api/v1/visits/{visit.external_id}/photos/", {"photo": image})
    assert ok.status_code == 201, ok.content
    text = io.BytesIO(b"not an image at all")
    text.name = "p.png"
    bad = client.post(f"/api/v1/visits/{visit.external_id}/photos/", {"photo": text})
    assert bad.status_code == 400 and "photo" in bad.json()


def test_conflicting_assignment_is_400_with_codes(care: Care) -> None:
    visit = care.order("ZY01").visits.get()
    client = login(Client(), care.manager)
    answer = post(
        client,
        f"/api/v1/visits/{visit.external_id}/assign/",
        {
            "caregivers": [str(care.caregivers["zhao"].external_id)],
        },
    )
    assert answer.status_code == 400
    assert answer.json()["codes"] == ["expired_certificate"]
    suggestions = client.get(f"/api/v1/visits/{visit.external_id}/suggestions/").json()
    assert suggestions[0]["caregiver"]["name"] == "王护理" and suggestions[0]["ok"]


def test_linking_a_family_login_through_the_api(care: Care, client_for) -> None:
    from tests.factories import UserFactory

    UserFactory(username="daughter", role="family")
    client = client_for("community_worker")
    url = f"/api/v1/elders/{care.elder.external_id}/family-members/"
    ok = post(client, url, {"username": "daughter", "relation": "child"})
    assert ok.status_code == 200, ok.content
    assert post(client, url, {"username": "nobody", "relation": "child"}).status_code == 400
    wrong_role = post(client, url, {"username": "auditor", "relation": "child"})
    assert wrong_role.status_code == 400 and "user" in wrong_role.json()
    assert post(
        client_for("auditor"), url, {"username": "daughter", "relation": "child"}
    ).status_code in (403, 404)
