"""A visit's page for the people who manage it: cancelling one visit, correcting its record
after the fact (with attestation, kept in its history), and the history itself."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.visits.conftest import Care
from tests.visits.test_pages import client_of, delivered, html, today_visit
from yiyang.core.permissions import Role
from yiyang.visits.choices import FlagCode, OrderStatus, ReviewStatus, VisitStatus
from yiyang.visits.models import Visit, VisitEvent

pytestmark = pytest.mark.django_db


def _local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_manager_cancels_one_visit_of_a_plan_with_a_reason(care: Care) -> None:
    order = care.order("JW03", days=3)
    first, second, _third = order.visits.order_by("date")
    client = client_of(care.manager)
    page = html(client, f"/visits/{first.external_id}/")
    assert 'id="cancel-form"' in page
    response = client.post(f"/visits/{first.external_id}/cancel/", {"reason": "老人住院"})
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    order.refresh_from_db()
    assert first.status == VisitStatus.CANCELLED and first.cancel_reason == "老人住院"
    assert second.status != VisitStatus.CANCELLED and order.status == OrderStatus.ACTIVE
    history = html(client, f"/visits/{first.external_id}/")
    assert 'data-kind="cancelled"' in history and "老人住院" in history
    assert 'id="cancel-form"' not in history  # nothing left to cancel


def test_cancelling_without_a_reason_is_refused_and_changes_nothing(care: Care) -> None:
    visit = care.order("JW03").visits.get()
    response = client_of(care.manager).post(f"/visits/{visit.external_id}/cancel/", {"reason": ""})
    assert response.status_code == 400
    assert 'id="cancel-form"' in response.content.decode()
    visit.refresh_from_db()
    assert visit.status != VisitStatus.CANCELLED


def test_a_visit_already_done_cannot_be_cancelled(care: Care) -> None:
    visit = delivered(care)
    client = client_of(care.manager)
    assert 'id="cancel-form"' not in html(client, f"/visits/{visit.external_id}/")
    status = visit.status
    response = client.post(f"/visits/{visit.external_id}/cancel/", {"reason": "试试"})
    assert response.status_code == 400
    visit.refresh_from_db()
    assert visit.status == status != VisitStatus.CANCELLED


def test_manager_corrects_a_missed_record_with_attestation(care: Care) -> None:
    visit = today_visit(care, opened_minutes_ago=120)
    start = timezone.now() - datetime.timedelta(minutes=100)
    end = start + datetime.timedelta(minutes=50)
    client = client_of(care.manager)
    assert 'id="correct-form"' in html(client, f"/visits/{visit.external_id}/")
    response = client.post(
        f"/visits/{visit.external_id}/correct/",
        {
            "check_in_at": _local(start),
            "check_out_at": _local(end),
            "reason": "手机没电",
            "attestation": "on",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED_OUT
    assert visit.review_status == ReviewStatus.PENDING
    assert visit.flags.filter(code=FlagCode.EDITED).exists()
    event = VisitEvent.objects.get(visit=visit, kind="corrected")
    assert event.detail["before"] == [None, None] and event.detail["attested"] is True
    page = html(client, f"/visits/{visit.external_id}/")
    assert 'data-kind="corrected"' in page and "手机没电" in page


def test_correction_without_attestation_or_with_reversed_times_is_refused(care: Care) -> None:
    visit = today_visit(care, opened_minutes_ago=120)
    start = timezone.now() - datetime.timedelta(minutes=100)
    client = client_of(care.manager)
    for data in (
        {
            "check_in_at": _local(start),
            "check_out_at": _local(start + datetime.timedelta(hours=1)),
            "reason": "手机没电",
        },  # no attestation
        {
            "check_in_at": _local(start),
            "check_out_at": _local(start - datetime.timedelta(hours=1)),
            "reason": "手机没电",
            "attestation": "on",
        },  # out before in
        {"check_in_at": "yesterday", "check_out_at": "", "reason": "", "attestation": "on"},
    ):
        response = client.post(f"/visits/{visit.external_id}/correct/", data)
        assert response.status_code == 400, data
        assert 'id="correct-form"' in response.content.decode()
    visit.refresh_from_db()
    assert visit.check_in_at is None and visit.status == VisitStatus.ASSIGNED
    assert not VisitEvent.objects.filter(visit=visit, kind="corrected").exists()


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.STREET_OFFICER, Role.CITY_ADMIN])
def test_only_the_providers_manager_may_correct(care: Care, role: str) -> None:
    visit = today_visit(care, opened_minutes_ago=120)
    client = client_of(care.world.user[role])
    page = client.get(f"/visits/{visit.external_id}/")
    if page.status_code == 200:
        assert 'id="correct-form"' not in page.content.decode()
    start = timezone.now() - datetime.timedelta(minutes=100)
    response = client.post(
        f"/visits/{visit.external_id}/correct/",
        {
            "check_in_at": _local(start),
            "check_out_at": _local(start + datetime.timedelta(hours=1)),
            "reason": "x",
            "attestation": "on",
        },
    )
    assert response.status_code in (403, 404)
    assert Visit.objects.get(pk=visit.pk).check_in_at is None


def test_caregivers_cannot_cancel_or_correct(care: Care) -> None:
    visit = today_visit(care)
    client = client_of(care.caregiver_user)
    page = html(client, f"/visits/{visit.external_id}/")
    assert 'id="cancel-form"' not in page and 'id="correct-form"' not in page
    assert client.post(f"/visits/{visit.external_id}/cancel/", {"reason": "x"}).status_code in (
        403,
        404,
    )
    assert Visit.objects.get(pk=visit.pk).status != VisitStatus.CANCELLED


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "yesterday", ""])
def test_board_with_an_impossible_date_shows_today(care: Care, day: str) -> None:
    client = client_of(care.manager)
    for url in ("/visits/board/", "/visits/board/live/", "/visits/my-day/"):
        user_client = client if url != "/visits/my-day/" else client_of(care.caregiver_user)
        response = user_client.get(url, {"date": day})
        assert response.status_code == 200, (url, day)
