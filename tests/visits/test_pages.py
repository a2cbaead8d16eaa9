"""The home-care pages: the caregiver's day and visit page, the dispatch board and assigning,
the review queue, the elder's care, the family page (consent-gated), orders.

Pages are Chinese first and translations come last, so these tests read stable data (names,
codes, ids) and, where they read labels, ask for English with the language cookie."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.visits.conftest import Care, fix
from yiyang.core.permissions import Role
from yiyang.elders.models import Consent
from yiyang.supervision.models import Complaint
from yiyang.visits import services
from yiyang.visits.choices import OrderStatus, ReviewStatus, VisitStatus
from yiyang.visits.models import Order, Visit, VisitRating

pytestmark = pytest.mark.django_db


def client_of(user: Any, *, english: bool = True) -> Client:
    client = login(Client(), user)
    if english:
        client.cookies["django_language"] = "en"
    return client


def html(client: Client, url: str, status: int = 200, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def now_window(visit: Visit, *, opened_minutes_ago: int = 10) -> Visit:
    """Move a visit's window so that it opened a few minutes ago, but today (just after
    midnight the window opens at midnight): the pages show today."""
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))
    start = max(timezone.now() - datetime.timedelta(minutes=opened_minutes_ago), midnight)
    Visit.objects.filter(pk=visit.pk).update(
        date=timezone.localdate(),
        window_start=start,
        window_end=start + datetime.timedelta(hours=2),
    )
    visit.refresh_from_db()
    return visit


def today_visit(care: Care, *, opened_minutes_ago: int = 10) -> Visit:
    return now_window(care.assigned(), opened_minutes_ago=opened_minutes_ago)


def delivered(care: Care) -> Visit:
    visit = today_visit(care, opened_minutes_ago=60)
    now = timezone.now()
    visit = services.visit_check_in(
        actor=care.caregiver_user, visit=visit, fix=fix(at=now - datetime.timedelta(minutes=45))
    )
    return services.visit_check_out(
        actor=care.caregiver_user, visit=visit, fix=fix(), tasks_done=["确认身体状况"]
    )


def flagged(care: Care) -> Visit:
    """A visit checked in 5 km from the elder's address: flagged out_of_range."""
    visit = today_visit(care, opened_minutes_ago=60)
    now = timezone.now()
    visit = services.visit_check_in(
        actor=care.caregiver_user,
        visit=visit,
        fix=fix(lat=34.80, at=now - datetime.timedelta(minutes=45)),
        explanation="老人在社区医院",
    )
    visit = services.visit_check_out(actor=care.caregiver_user, visit=visit, fix=fix())
    assert visit.review_status == ReviewStatus.PENDING
    return visit


# --- the caregiver's phone pages -------------------------------------------------------------


def test_my_day_lists_todays_visits_in_order(care: Care) -> None:
    visit = today_visit(care)
    page = html(client_of(care.caregiver_user), "/visits/my-day/")
    assert care.elder.name in page
    assert "测试路1号" in page
    assert f"/visits/{visit.external_id}/" in page
    assert 'name="viewport"' in page
    # Another day is empty.
    tomorrow = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    assert 'id="no-visits"' in html(
        client_of(care.caregiver_user), "/visits/my-day/", date=tomorrow
    )


@pytest.mark.parametrize("role", [Role.PROVIDER_MANAGER, Role.FAMILY, Role.COMMUNITY_WORKER])
def test_my_day_is_for_caregivers(care: Care, role: str) -> None:
    html(client_of(care.world.user[role]), "/visits/my-day/", status=403)


def test_visit_page_has_one_tap_actions_and_map_link(care: Care) -> None:
    visit = today_visit(care)
    page = html(client_of(care.caregiver_user), f"/visits/{visit.external_id}/")
    assert 'id="set-off"' in page and 'id="check-in"' in page
    # The service accepts a check-out without a check-in (flagged), so the page offers it,
    # folded away under the main actions.
    early = page.index('id="check-out-early"')
    assert page.index('id="check-in"') < early < page.index('id="check-out"')
    assert "uri.amap.com/marker?position=113.650000,34.750000" in page
    assert "visit-queue.js" in page
    assert f'data-api="/api/v1/visits/{visit.external_id}/"' in page
    assert 'id="queue-banner"' in page
    assert 'id="visit-texts"' in page


def test_checked_in_visit_shows_checklist_photo_and_check_out(care: Care) -> None:
    visit = today_visit(care)
    services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=fix())
    page = html(client_of(care.caregiver_user), f"/visits/{visit.external_id}/")
    assert 'id="check-in"' not in page
    assert 'id="check-out"' in page and 'id="check-out-early"' not in page
    for task in care.items["JW03"].checklist:
        assert f'value="{task}"' in page
    assert 'accept="image/*"' in page and 'capture="environment"' in page
    assert 'id="outcome"' in page


def test_flags_are_shown_with_an_explain_field(care: Care) -> None:
    visit = flagged(care)
    page = html(client_of(care.caregiver_user), f"/visits/{visit.external_id}/")
    assert 'data-code="out_of_range"' in page
    assert 'class="explain"' in page
    assert "老人在社区医院" in page


def test_someone_elses_visit_is_404_for_a_caregiver(care: Care) -> None:
    visit = now_window(care.assigned("JW03", "li"))
    html(client_of(care.caregiver_user), f"/visits/{visit.external_id}/", status=404)
    html(client_of(care.caregiver_user), "/visits/not-a-uuid/", status=404)


def test_the_visit_page_is_read_only_for_others(care: Care) -> None:
    visit = today_visit(care)
    page = html(client_of(care.manager), f"/visits/{visit.external_id}/")
    assert care.elder.name in page
    assert 'id="check-in"' not in page and "visit-queue.js" not in page


def test_anonymous_is_sent_to_log_in(care: Care) -> None:
    response = Client().get("/visits/my-day/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the dispatch board ----------------------------------------------------------------------


def test_board_shows_caregivers_timeline_unassigned_and_late(care: Care) -> None:
    assigned = today_visit(care, opened_minutes_ago=30)
    open_visit = now_window(care.order("ZJ01").visits.get(), opened_minutes_ago=5)
    Visit.objects.filter(pk=assigned.pk).update(is_late=True)
    page = html(client_of(care.manager), "/visits/board/", date=timezone.localdate().isoformat())
    assert "王护理" in page and "李护理" in page
    assert f'data-visit="{assigned.external_id}"' in page
    assert 'id="unassigned"' in page
    assert f"/visits/{open_visit.external_id}/assign/" in page
    assert 'id="late-missed"' in page
    assert 'data-count="late">1<' in page
    assert 'data-count="unassigned">1<' in page
    assert 'hx-trigger="every 15s"' in page
    live = html(client_of(care.manager), "/visits/board/live/")
    assert 'id="board-counts"' in live and "<html" not in live
    assert 'id="optimise-day"' in page and "/scheduling/plan/" in page


@pytest.mark.parametrize("role", [Role.CAREGIVER, Role.FAMILY, Role.STREET_OFFICER])
def test_board_is_for_provider_managers(care: Care, role: str) -> None:
    html(client_of(care.world.user[role]), "/visits/board/", status=403)


def test_assign_page_suggests_and_explains_refusals(care: Care) -> None:
    visit = care.order("ZY01").visits.get()
    client = client_of(care.manager)
    page = html(client, f"/visits/{visit.external_id}/assign/")
    # Zhao's certificate has expired, Li lacks the bathing skill: both refused with reasons.
    assert 'data-code="expired_certificate"' in page
    assert 'data-code="missing_skill"' in page
    wang = care.caregivers["wang"]
    response = client.post(
        f"/visits/{visit.external_id}/assign/", {"caregivers": [wang.external_id]}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.caregiver_id == wang.pk and visit.status == VisitStatus.ASSIGNED


def test_assign_refusal_is_shown_not_500(care: Care) -> None:
    visit = care.order("ZY01").visits.get()
    client = client_of(care.manager)
    zhao = care.caregivers["zhao"]
    response = client.post(
        f"/visits/{visit.external_id}/assign/", {"caregivers": [zhao.external_id]}
    )
    assert response.status_code == 400
    errors = response.content.decode().split('class="errorlist')[1].split("</ul>")[0]
    assert "expired on" in errors and "expired_certificate" not in errors
    visit.refresh_from_db()
    assert visit.caregiver_id is None
    response = client.post(
        f"/visits/{visit.external_id}/assign/",
        {"caregivers": ["00000000-0000-0000-0000-000000000000"]},
    )
    assert response.status_code == 400


# --- the review queue ------------------------------------------------------------------------


def test_review_queue_accepts_with_a_reason(care: Care) -> None:
    visit = flagged(care)
    client = client_of(care.manager)
    page = html(client, "/visits/review/")
    assert f'data-visit="{visit.external_id}"' in page
    assert 'data-code="out_of_range"' in page and "老人在社区医院" in page
    prefix = str(visit.external_id)
    response = client.post(f"/visits/{prefix}/review/", {f"{prefix}-decision": "accepted"})
    assert response.status_code == 400  # no reason
    visit.refresh_from_db()
    assert visit.review_status == ReviewStatus.PENDING
    response = client.post(
        f"/visits/{prefix}/review/",
        {f"{prefix}-decision": "accepted", f"{prefix}-reason": "社区医院确认"},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.review_status == ReviewStatus.ACCEPTED
    assert visit.status == VisitStatus.CONFIRMED
    assert 'id="queue-empty"' in html(client, "/visits/review/")


def test_street_officer_sees_the_review_queue(care: Care) -> None:
    visit = flagged(care)
    page = html(client_of(care.world.user[Role.STREET_OFFICER]), "/visits/review/")
    assert f'data-visit="{visit.external_id}"' in page


@pytest.mark.parametrize("role", [Role.CAREGIVER, Role.FAMILY, Role.COMMUNITY_WORKER])
def test_review_is_for_managers_and_officers(care: Care, role: str) -> None:
    visit = flagged(care)
    client = client_of(care.world.user[role])
    html(client, "/visits/review/", status=403)
    prefix = str(visit.external_id)
    response = client.post(
        f"/visits/{prefix}/review/", {f"{prefix}-decision": "accepted", f"{prefix}-reason": "x"}
    )
    assert response.status_code == 403


# --- the elder's care ------------------------------------------------------------------------


def test_elder_care_page_lists_plans_and_history(care: Care) -> None:
    done = delivered(care)
    care.order("ZJ01", days=3)
    client = client_of(care.world.user[Role.COMMUNITY_WORKER])
    page = html(client, f"/visits/elders/{care.elder.external_id}/care/")
    assert "居室清洁" in page and "探访关爱（独居老人）" in page
    assert f'data-visit="{done.external_id}"' in page
    assert "王护理" in page
    detail = html(client, f"/elders/{care.elder.external_id}/")
    assert f"/visits/elders/{care.elder.external_id}/care/" in detail


def test_elder_care_outside_scope_is_404(care: Care) -> None:
    client = client_of(care.world.user["worker_YA1a"])
    html(client, f"/visits/elders/{care.elder.external_id}/care/", status=404)


# --- the family page -------------------------------------------------------------------------


def test_family_sees_visits_and_rates_one(care: Care) -> None:
    done = delivered(care)
    upcoming = care.order("ZJ01").visits.get()
    client = client_of(care.family)
    page = html(client, "/family/")
    assert care.elder.name in page
    assert f'data-visit="{done.external_id}"' in page
    assert f'data-visit="{upcoming.external_id}"' in page
    assert "王护理" in page and "确认身体状况" in page
    assert f"/family/visits/{done.external_id}/rate/" in page
    response = client.post(
        f"/family/visits/{done.external_id}/rate/", {"stars": "4", "comment": "很细心"}
    )
    assert response.status_code == 302
    rating = VisitRating.objects.get(visit=done)
    assert (rating.stars, rating.comment) == (4, "很细心")
    page = html(client, "/family/")
    assert 'data-stars="4"' in page
    assert f"/family/visits/{done.external_id}/rate/" not in page
    # Rating twice is refused with a message, not a 500.
    response = client.post(f"/family/visits/{done.external_id}/rate/", {"stars": "5"}, follow=True)
    assert response.status_code == 200
    assert VisitRating.objects.get(visit=done).stars == 4


def test_family_complains(care: Care) -> None:
    done = delivered(care)
    client = client_of(care.family)
    # The old address passes the form on to the city's register (308 keeps the POST).
    old = client.post(f"/family/visits/{done.external_id}/complain/", {"text": "迟到了"})
    assert old.status_code == 308
    assert old["Location"] == f"/supervision/family/visits/{done.external_id}/complain/"
    response = client.post(old["Location"], {"text": "迟到了"})
    assert response.status_code == 302
    complaint = Complaint.objects.get(visit=done)
    assert (complaint.text, complaint.channel, complaint.organisation_id) == (
        "迟到了",
        "family_page",
        done.provider_id,
    )


def test_family_without_consent_is_told_and_sees_no_visits(care: Care) -> None:
    done = delivered(care)
    Consent.objects.filter(elder=care.elder).update(withdrawn_on=timezone.localdate())
    client = client_of(care.family)
    page = html(client, "/family/")
    assert care.elder.name in page
    assert "consent-missing" in page
    assert f'data-visit="{done.external_id}"' not in page
    response = client.post(f"/family/visits/{done.external_id}/rate/", {"stars": "5"})
    assert response.status_code == 404
    assert not VisitRating.objects.exists()


@pytest.mark.parametrize("role", [Role.CAREGIVER, Role.COMMUNITY_WORKER])
def test_family_page_is_for_family(care: Care, role: str) -> None:
    html(client_of(care.world.user[role]), "/family/", status=403)


# --- orders ----------------------------------------------------------------------------------


def test_order_form_places_a_care_plan(care: Care) -> None:
    client = client_of(care.world.user[Role.COMMUNITY_WORKER])
    url = f"/visits/orders/new/?elder={care.elder.external_id}"
    page = html(client, url)
    assert care.provider.name in page and 'name="weekdays"' in page
    start = timezone.localdate() + datetime.timedelta(days=1)
    data = {
        "elder": str(care.elder.external_id),
        "provider": care.provider.pk,
        "item": care.items["ZY01"].pk,
        "starts_on": start.isoformat(),
        "ends_on": (start + datetime.timedelta(days=13)).isoformat(),
        "weekdays": ["1", "4"],
        "window_start": "09:00",
        "window_end": "11:00",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(item=care.items["ZY01"])
    assert order.weekdays == [1, 4]
    assert order.visits.count() == 4
    assert response["Location"] == f"/visits/orders/{order.external_id}/"
    assert care.elder.name in html(client, "/visits/orders/")


def test_order_form_shows_the_services_errors(care: Care) -> None:
    client = client_of(care.world.user[Role.COMMUNITY_WORKER])
    url = f"/visits/orders/new/?elder={care.elder.external_id}"
    start = timezone.localdate() + datetime.timedelta(days=1)
    data = {
        "elder": str(care.elder.external_id),
        "provider": care.provider.pk,
        "item": care.items["ZY01"].pk,
        "starts_on": start.isoformat(),
        "ends_on": start.isoformat(),
        "weekdays": [str((start.weekday() + 1) % 7)],
        "window_start": "09:00",
        "window_end": "11:00",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "field-weekdays has-error" in response.content.decode()
    assert not Order.objects.exists()


def test_family_orders_for_their_elder_with_the_relation(care: Care) -> None:
    client = client_of(care.family)
    assert f"/visits/orders/new/?elder={care.elder.external_id}" in html(client, "/family/")
    url = f"/visits/orders/new/?elder={care.elder.external_id}"
    start = timezone.localdate() + datetime.timedelta(days=2)
    data = {
        "elder": str(care.elder.external_id),
        "provider": care.provider.pk,
        "item": care.items["JW03"].pk,
        "starts_on": start.isoformat(),
        "window_start": "10:00",
        "window_end": "11:00",
    }
    assert client.post(url, data).status_code == 400  # the relation is required
    response = client.post(url, {**data, "relation": "child"})
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.placed_via, order.relation) == ("family", "child")
    # Without consent the elder is not theirs to order for.
    Consent.objects.filter(elder=care.elder).update(withdrawn_on=timezone.localdate())
    html(client, url, 404)


def test_order_cancel_with_reason(care: Care) -> None:
    order = care.order("ZJ01", days=3)
    client = client_of(care.world.user[Role.COMMUNITY_WORKER])
    assert 'id="cancel-form"' in html(client, f"/visits/orders/{order.external_id}/")
    response = client.post(f"/visits/orders/{order.external_id}/cancel/", {"reason": ""})
    assert response.status_code == 400
    response = client.post(f"/visits/orders/{order.external_id}/cancel/", {"reason": "住院"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert not order.visits.exclude(status=VisitStatus.CANCELLED).exists()


def test_orders_are_scoped(care: Care) -> None:
    order = care.order()
    html(client_of(care.world.user["worker_YA1a"]), f"/visits/orders/{order.external_id}/", 404)
    html(client_of(care.caregiver_user), "/visits/orders/new/", 403)


def test_navigation_offers_each_role_its_pages(care: Care) -> None:
    def nav(user: Any) -> str:
        return html(client_of(user), "/").split('class="mainnav"')[1].split("</nav>")[0]

    assert "/visits/my-day/" in nav(care.caregiver_user)
    assert "/visits/board/" in nav(care.manager) and "/visits/review/" in nav(care.manager)
    assert "/family/" in nav(care.family)
    assert "/visits/board/" not in nav(care.family)


# --- the service list and the caregivers -----------------------------------------------------


def test_service_list_page_for_every_role(care: Care) -> None:
    for role in (Role.FAMILY, Role.CAREGIVER, Role.COMMUNITY_WORKER):
        page = html(client_of(care.world.user[role]), "/services/")
        assert 'data-item="ZY01"' in page and "上门助浴" in page


def test_caregiver_pages_show_certificates_and_expiry(care: Care) -> None:
    client = client_of(care.manager)
    page = html(client, "/services/caregivers/")
    assert "王护理" in page and "赵护理" in page
    assert "expired" in page  # Zhao's certificate
    zhao = care.caregivers["zhao"]
    detail = html(client, f"/services/caregivers/{zhao.external_id}/")
    assert 'data-qualification="elder_care_worker"' in detail and "C-zhao" in detail
    assert "blocks services that need it" in detail
    assert "赵护理" not in html(client, "/services/caregivers/", q="王")


def test_caregiver_pages_are_scoped(care: Care) -> None:
    wang = care.caregivers["wang"]
    html(client_of(care.world.user["admin_Y"]), f"/services/caregivers/{wang.external_id}/", 404)
    assert "王护理" not in html(client_of(care.world.user["admin_Y"]), "/services/caregivers/")
    for role in (Role.CAREGIVER, Role.FAMILY):
        html(client_of(care.world.user[role]), "/services/caregivers/", 403)
