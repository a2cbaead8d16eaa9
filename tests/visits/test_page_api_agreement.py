"""One rule, two doors: the order page and the orders API answer alike for the same actor
and elder (issue: access decided twice)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from tests.agreement import service_accepts
from tests.conftest import login
from tests.factories import make_elder
from tests.visits.conftest import Care, fix
from tests.visits.test_pages import today_visit
from yiyang.core.permissions import Role
from yiyang.visits import lifecycle, services
from yiyang.visits.lifecycle import VisitAction
from yiyang.visits.models import Order


def _order_data(care: Care, elder, *, days_ahead: int) -> dict:
    start = timezone.localdate() + datetime.timedelta(days=days_ahead)
    return {
        "elder": str(elder.external_id),
        "provider": care.provider.pk,
        "item": care.items["JW03"].pk,
        "starts_on": start.isoformat(),
        "window_start": "09:00",
        "window_end": "10:00",
    }


def _page_post(client: Client, care: Care, elder, *, days_ahead: int) -> int:
    url = f"/visits/orders/new/?elder={elder.external_id}"
    return client.post(url, _order_data(care, elder, days_ahead=days_ahead)).status_code


def _api_post(client: Client, care: Care, elder, *, days_ahead: int):
    data = _order_data(care, elder, days_ahead=days_ahead)
    body = {
        "elder": data["elder"],
        "provider": str(care.provider.external_id),
        "service": str(care.items["JW03"].external_id),
        "starts_on": data["starts_on"],
        "window_start": "09:00",
        "window_end": "10:00",
    }
    return client.post("/api/v1/orders/", json.dumps(body), content_type="application/json")


def test_provider_manager_orders_for_an_elder_in_a_served_area_by_page_and_api(
    care: Care,
) -> None:
    client = login(Client(), care.manager)
    assert client.get(f"/visits/orders/new/?elder={care.elder.external_id}").status_code == 200
    assert _page_post(client, care, care.elder, days_ahead=1) == 302
    response = _api_post(client, care, care.elder, days_ahead=2)
    assert response.status_code == 201, response.content
    assert Order.objects.filter(elder=care.elder, placed_by=care.manager).count() == 2


def test_provider_manager_is_refused_an_elder_outside_served_areas_by_page_and_api(
    care: Care,
) -> None:
    outside = make_elder(
        care.world.user[Role.CITY_ADMIN],
        care.world.div["XA2a"],
        name="陈外区",
        address="外区路2号",
        lat=Decimal("34.7"),
        lng=Decimal("113.6"),
    )
    client = login(Client(), care.manager)
    assert client.get(f"/visits/orders/new/?elder={outside.external_id}").status_code == 404
    assert _page_post(client, care, outside, days_ahead=1) == 404
    response = _api_post(client, care, outside, days_ahead=1)
    assert response.status_code == 400
    assert "elder" in response.json()
    assert not Order.objects.filter(elder=outside).exists()


def test_community_worker_page_and_api_agree_inside_and_outside_their_community(
    care: Care,
) -> None:
    outside = make_elder(
        care.world.user[Role.CITY_ADMIN],
        care.world.div["XA1b"],
        name="周邻区",
        address="邻区路3号",
        lat=Decimal("34.7"),
        lng=Decimal("113.6"),
    )
    client = login(Client(), care.world.user[Role.COMMUNITY_WORKER])
    assert _page_post(client, care, care.elder, days_ahead=1) == 302
    assert _api_post(client, care, care.elder, days_ahead=2).status_code == 201
    assert _page_post(client, care, outside, days_ahead=1) == 404
    assert _api_post(client, care, outside, days_ahead=1).status_code == 400


# --- The visit's buttons and the services' guards come from one function ------------------


def _attempt(care: Care, actor, visit, action: VisitAction) -> bool:
    """Whether the service accepts ``action`` (the outcome is rolled back either way)."""
    calls = {
        VisitAction.SET_OFF: lambda: services.visit_set_off(actor=actor, visit=visit),
        VisitAction.CHECK_IN: lambda: services.visit_check_in(actor=actor, visit=visit, fix=fix()),
        VisitAction.CHECK_OUT: lambda: services.visit_check_out(
            actor=actor, visit=visit, fix=fix()
        ),
        VisitAction.CANCEL: lambda: services.visit_cancel(actor=actor, visit=visit, reason="测试"),
    }
    return service_accepts(calls[action])


def test_visit_buttons_agree_with_the_services_in_every_state(care: Care) -> None:
    worker = care.world.user[Role.COMMUNITY_WORKER]
    actors = {"caregiver": care.caregiver_user, "manager": care.manager, "worker": worker}
    states = ["assigned", "on_the_way", "checked_in", "checked_out"]
    # Bring a fresh visit to each state, then compare the page's set with the services.
    checked = 0
    for depth in range(len(states)):
        visit = today_visit(care)
        for step in states[1 : depth + 1]:
            if step == "on_the_way":
                services.visit_set_off(actor=care.caregiver_user, visit=visit)
            elif step == "checked_in":
                services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=fix())
            else:
                services.visit_check_out(actor=care.caregiver_user, visit=visit, fix=fix())
        visit.refresh_from_db()
        for name, actor in actors.items():
            shown = lifecycle.visit_actions(actor=actor, visit=visit)
            for action in (
                VisitAction.SET_OFF,
                VisitAction.CHECK_IN,
                VisitAction.CHECK_OUT,
                VisitAction.CANCEL,
            ):
                accepted = _attempt(care, actor, visit, action)
                assert (action in shown) == accepted, (states[depth], name, action)
                checked += 1
    assert checked == 4 * 3 * 4


def test_the_order_cancel_button_agrees_with_the_service_for_every_role(care: Care) -> None:
    """An active and a cancelled order, every user of the world: the order page offers the
    cancel form exactly when ``order_cancel`` accepts it."""
    active = today_visit(care).order
    done = today_visit(care).order
    services.order_cancel(actor=care.manager, order=done, reason="老年人住院")
    compared, offered = 0, 0
    for key, user in care.world.user.items():
        client = login(Client(), user)
        for order in (active, done):
            order.refresh_from_db()
            response = client.get(f"/visits/orders/{order.external_id}/")
            shown = response.status_code == 200 and 'id="cancel-order"' in response.content.decode()
            accepted = service_accepts(
                lambda user=user, order=order: services.order_cancel(
                    actor=user, order=order, reason="测试"
                )
            )
            assert shown == accepted, (key, order.status, shown, accepted)
            listed = lifecycle.OrderAction.CANCEL in lifecycle.order_actions(
                actor=user, order=order
            )
            assert listed == accepted, (key, order.status)
            compared += 1
            offered += shown
    assert compared == 2 * len(care.world.user)
    assert offered >= 2  # not vacuous: at least the provider's manager and an officer
