"""Two-caregiver visits: each caregiver's presence is verified, not only the lead's."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.visits.conftest import Care, fix
from tests.visits.test_pages import client_of, html
from yiyang.visits import services
from yiyang.visits.choices import FlagCode, ReviewStatus, VisitStatus
from yiyang.visits.models import Visit, VisitEvent

pytestmark = pytest.mark.django_db


def double_visit(care: Care) -> Visit:
    visit = care.assigned("ZY02", "wang", "li")
    assert visit.needs_two and visit.second_caregiver_id == care.caregivers["li"].pk
    return care.now_window(visit, opened_minutes_ago=100)


def minutes_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=n)


def test_both_caregivers_check_in_and_out_and_the_visit_is_confirmed(care: Care) -> None:
    visit = double_visit(care)
    lead, second = care.caregiver_user, care.users["li"]
    visit = services.visit_check_in(actor=second, visit=visit, fix=fix(at=minutes_ago(95)))
    assert visit.status == VisitStatus.ASSIGNED  # the second's presence does not move the visit
    visit = services.visit_check_in(actor=lead, visit=visit, fix=fix(at=minutes_ago(94)))
    assert visit.status == VisitStatus.CHECKED_IN
    services.visit_check_out(actor=second, visit=visit, fix=fix(at=minutes_ago(3)))
    visit = services.visit_check_out(
        actor=lead, visit=visit, fix=fix(at=minutes_ago(2)), tasks_done=["洗浴"]
    )
    assert visit.status == VisitStatus.CONFIRMED and not visit.flags.exists()
    kinds = list(VisitEvent.objects.filter(visit=visit).values_list("kind", flat=True))
    assert kinds.count("second_check_in") == 1 and kinds.count("second_check_out") == 1
    second_in = VisitEvent.objects.get(visit=visit, kind="second_check_in")
    assert second_in.detail["distance"] < 5 and second_in.actor_username == "caregiver_li"


def test_lead_checking_out_without_the_second_is_flagged(care: Care) -> None:
    visit = double_visit(care)
    visit = services.visit_check_in(
        actor=care.caregiver_user, visit=visit, fix=fix(at=minutes_ago(90))
    )
    visit = services.visit_check_out(
        actor=care.caregiver_user, visit=visit, fix=fix(at=minutes_ago(1))
    )
    assert visit.status == VisitStatus.CHECKED_OUT
    assert visit.review_status == ReviewStatus.PENDING
    assert list(visit.flags.values_list("code", flat=True)) == [FlagCode.NO_SECOND_CHECK_IN]


def test_one_caregiver_visits_need_no_second_check_in(care: Care) -> None:
    visit = care.now_window(care.assigned("JW03", "wang"), opened_minutes_ago=60)
    visit = services.visit_check_in(
        actor=care.caregiver_user, visit=visit, fix=fix(at=minutes_ago(50))
    )
    visit = services.visit_check_out(
        actor=care.caregiver_user, visit=visit, fix=fix(at=minutes_ago(1))
    )
    assert visit.status == VisitStatus.CONFIRMED


def test_second_caregiver_away_from_the_address_is_flagged(care: Care) -> None:
    visit = double_visit(care)
    services.visit_check_in(
        actor=care.users["li"], visit=visit, fix=fix(lat=34.80, at=minutes_ago(90))
    )
    flag = visit.flags.get()
    assert flag.code == FlagCode.OUT_OF_RANGE and "李护理" in flag.detail


def test_second_caregiver_bad_inputs(care: Care) -> None:
    visit = double_visit(care)
    second = care.users["li"]
    with pytest.raises(ValidationError):  # no usable location
        services.visit_check_in(actor=second, visit=visit, fix=fix(lat=0, lng=0))
    assert not VisitEvent.objects.filter(visit=visit).exclude(kind="assigned").exists()
    services.visit_check_in(actor=second, visit=visit, fix=fix(at=minutes_ago(90)))
    with pytest.raises(ValidationError):  # twice
        services.visit_check_in(actor=second, visit=visit, fix=fix(at=minutes_ago(89)))
    with pytest.raises(ValidationError):  # out before in
        services.visit_check_out(actor=second, visit=visit, fix=fix(at=minutes_ago(95)))
    assert VisitEvent.objects.filter(visit=visit, kind="second_check_in").count() == 1


def test_second_caregiver_check_out_without_check_in_is_flagged(care: Care) -> None:
    visit = double_visit(care)
    services.visit_check_out(actor=care.users["li"], visit=visit, fix=fix(at=minutes_ago(5)))
    assert visit.flags.get().code == FlagCode.NO_CHECK_IN


def test_offline_resend_of_the_seconds_check_in_is_applied_once(care: Care) -> None:
    import uuid

    visit = double_visit(care)
    action = uuid.uuid4()
    for _ in range(2):
        services.visit_check_in(
            actor=care.users["li"],
            visit=visit,
            fix=fix(at=minutes_ago(90), client_action_id=action),
        )
    assert VisitEvent.objects.filter(visit=visit, kind="second_check_in").count() == 1


def test_api_check_in_by_the_second_caregiver(care: Care) -> None:
    visit = double_visit(care)
    client = Client()
    client.force_login(care.users["li"])
    at = minutes_ago(90).isoformat()
    response = client.post(
        f"/api/v1/visits/{visit.external_id}/check-in/",
        {"latitude": 34.75, "longitude": 113.65, "accuracy": 10, "at": at},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == VisitStatus.ASSIGNED
    assert VisitEvent.objects.filter(visit=visit, kind="second_check_in").exists()


def test_phone_page_of_the_second_caregiver(care: Care) -> None:
    visit = double_visit(care)
    client = client_of(care.users["li"])
    page = html(client, f"/visits/{visit.external_id}/")
    assert 'id="check-in"' in page and 'id="set-off"' not in page
    assert 'id="second-presence"' in page
    services.visit_check_in(actor=care.users["li"], visit=visit, fix=fix(at=minutes_ago(90)))
    page = html(client, f"/visits/{visit.external_id}/")
    assert 'id="check-in"' not in page and 'id="check-out"' in page
    assert 'id="checklist"' not in page  # the lead records the tasks
    lead_page = html(client_of(care.caregiver_user), f"/visits/{visit.external_id}/")
    assert 'id="check-in"' in lead_page and "checked in" in lead_page
