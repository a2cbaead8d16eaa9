"""The dispatch rules through their doors: the service, the assign page and the API give
the same refusal (rule, caregiver, the visit in the way), and an order whose window no
caregiver works is placed with a warning, on the page and in the API."""

from __future__ import annotations

import datetime
import json

from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.visits.conftest import Care
from yiyang.core.permissions import Role
from yiyang.services import services as catalogue
from yiyang.visits import services
from yiyang.visits.models import Visit


def _client(user) -> Client:
    client = Client()
    login(client, user)
    return client


def test_day_off_is_refused_alike_by_service_page_and_api(care: Care) -> None:
    visit = care.order("JW03").visits.get()
    wang = care.caregivers["wang"]
    catalogue.caregiver_save(
        actor=care.manager,
        provider=care.provider,
        caregiver=wang,
        work_days=[(visit.date.weekday() + 1) % 7],
    )
    try:
        services.visit_assign(actor=care.manager, visit=visit, caregivers=[wang])
    except services.DispatchRefusedError as exc:
        refusal = exc.refusals[0]
    assert (refusal.code, refusal.caregiver, refusal.conflict) == ("day_off", "王护理", None)
    client = _client(care.manager)
    api = client.post(
        f"/api/v1/visits/{visit.external_id}/assign/",
        json.dumps({"caregivers": [str(wang.external_id)]}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert api.status_code == 400
    body = api.json()
    assert body["codes"] == ["day_off"]
    page = client.post(
        f"/visits/{visit.external_id}/assign/", {"caregivers": [str(wang.external_id)]}
    )
    assert page.status_code == 400
    html = page.content.decode()
    (message,) = body["caregivers"]
    assert "休息日" in message and message in html
    assert "工作时间为" not in message  # not "does not work then" for a day off


def test_an_overlap_names_the_visit_in_the_way_on_page_and_api(care: Care) -> None:
    first = care.assigned("JW03", "wang")
    second = care.order("JW03").visits.get()
    tight_end = first.window_start + datetime.timedelta(minutes=first.standard_minutes)
    for visit in (first, second):  # both must start 10:00 sharp
        Visit.objects.filter(pk=visit.pk).update(
            window_start=first.window_start, window_end=tight_end
        )
    first.refresh_from_db()
    second.refresh_from_db()
    wang = care.caregivers["wang"]
    verdict_codes = []
    try:
        services.visit_assign(actor=care.manager, visit=second, caregivers=[wang])
    except services.DispatchRefusedError as exc:
        verdict_codes = [(r.code, r.conflict) for r in exc.refusals]
    assert verdict_codes == [("double_booking", str(first.external_id))]
    client = _client(care.manager)
    api = client.post(
        f"/api/v1/visits/{second.external_id}/assign/",
        json.dumps({"caregivers": [str(wang.external_id)]}),
        content_type="application/json",
    )
    page = client.post(
        f"/visits/{second.external_id}/assign/", {"caregivers": [str(wang.external_id)]}
    )
    assert api.json()["codes"] == ["double_booking"]
    assert api.json()["caregivers"][0] in page.content.decode()


def test_an_order_no_caregiver_works_is_placed_with_a_warning(care: Care) -> None:
    for caregiver in care.caregivers.values():
        catalogue.caregiver_save(
            actor=care.manager,
            provider=care.provider,
            caregiver=caregiver,
            work_start=datetime.time(8),
            work_end=datetime.time(18),
        )
    worker = care.world.user[Role.COMMUNITY_WORKER]
    client = _client(worker)
    start = timezone.localdate() + datetime.timedelta(days=2)
    data = {
        "elder": str(care.elder.external_id),
        "provider": str(care.provider.external_id),
        "service": str(care.items["JW03"].external_id),
        "starts_on": start.isoformat(),
        "window_start": "22:30",
        "window_end": "23:30",
    }
    api = client.post("/api/v1/orders/", json.dumps(data), content_type="application/json")
    assert api.status_code == 201
    (warning,) = api.json()["warnings"]
    assert warning["code"] == "unstaffed_window"
    assert warning["params"]["weekdays"] == [start.weekday()]
    day_time = {**data, "window_start": "09:00", "window_end": "11:00"}
    fine = client.post("/api/v1/orders/", json.dumps(day_time), content_type="application/json")
    assert fine.status_code == 201 and fine.json()["warnings"] == []
    page = client.post(
        f"/visits/orders/new/?elder={care.elder.external_id}",
        {
            "elder": str(care.elder.external_id),
            "provider": care.provider.pk,
            "item": care.items["JW03"].pk,
            "starts_on": start.isoformat(),
            "window_start": "22:30",
            "window_end": "23:30",
        },
        follow=True,
    )
    assert page.status_code == 200
    assert warning["message"].split("：")[0].split(":")[0] in page.content.decode()
