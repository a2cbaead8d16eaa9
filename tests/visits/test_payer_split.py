"""Forms compute, people decide: the payer split of an order is computed from the price and
the elder's entitlement by one rule (service, API and page alike); only an officer may
change it, with a written reason that is stored and audited."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.visits.conftest import Care
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.elders.models import Elder
from yiyang.visits.models import Order
from yiyang.visits.services import payers

MONTHLY = Decimal("90.00")


@pytest.fixture
def allowance(monkeypatch: pytest.MonkeyPatch) -> Decimal:
    monkeypatch.setattr(payers, "monthly_allowance", lambda elder, day: MONTHLY)
    return MONTHLY


def _severe(care: Care) -> None:
    Elder.objects.filter(pk=care.elder.pk).update(ability_level="severe")
    care.elder.refresh_from_db()


def test_omitted_shares_are_computed_from_price_and_entitlement(
    care: Care, allowance: Decimal
) -> None:
    first = care.order("JW03")  # companionship 20 yuan: all of it from the allowance
    assert (first.allowance_yuan, first.ltc_yuan, first.self_pay_yuan) == (
        Decimal("20.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    second = care.order("ZY01", window_start=datetime.time(13), window_end=datetime.time(15))
    # 70 yuan of the allowance left this month; the bath costs 80: the elder pays the rest.
    assert (second.allowance_yuan, second.self_pay_yuan) == (Decimal("70.00"), Decimal("10.00"))
    for order in (first, second):
        assert order.allowance_yuan + order.ltc_yuan + order.self_pay_yuan == order.price
        assert order.split_reason == ""


def test_a_plan_spreads_the_allowance_left_over_the_months_visits(
    care: Care, allowance: Decimal
) -> None:
    start = timezone.localdate() + datetime.timedelta(days=1)
    start = start.replace(day=1) + datetime.timedelta(days=32)
    start = start.replace(day=1)  # the first of a month: all visits in one month
    order = care.order(
        "JW03", starts_on=start, ends_on=start + datetime.timedelta(days=6), weekdays=list(range(7))
    )
    # 7 visits of 20 yuan in one month, 90 yuan a month: 12.85 each (floored to the fen).
    assert order.allowance_yuan == Decimal("12.85")
    assert order.self_pay_yuan == Decimal("7.15")
    assert order.allowance_yuan * 7 <= MONTHLY


def test_ltc_insurance_pays_its_share_of_personal_care_for_severe_loss(care: Care) -> None:
    _severe(care)
    bath = care.order("ZY01")
    assert (bath.allowance_yuan, bath.ltc_yuan, bath.self_pay_yuan) == (
        Decimal("0.00"),
        Decimal("48.00"),
        Decimal("32.00"),
    )
    visit = care.order("JW03", window_start=datetime.time(13), window_end=datetime.time(15))
    assert visit.ltc_yuan == Decimal("0.00")  # companionship is not long-term care


def test_a_community_worker_cannot_type_other_shares(care: Care) -> None:
    with pytest.raises(ValidationError) as error:
        care.order("JW03", allowance_yuan="10", self_pay_yuan="10")
    assert "allowance_yuan" in error.value.message_dict
    assert "officer" in error.value.message_dict["allowance_yuan"][0]
    # The computed shares typed back are not an override.
    order = care.order("JW03", allowance_yuan="0", ltc_yuan="0", self_pay_yuan="20")
    assert order.self_pay_yuan == Decimal("20.00") and order.split_reason == ""


def test_an_officer_overrides_with_a_reason_that_is_stored_and_audited(
    care: Care, allowance: Decimal
) -> None:
    officer = care.world.user[Role.STREET_OFFICER]
    shares = {"allowance_yuan": "5.00", "ltc_yuan": "0", "self_pay_yuan": "15.00"}
    with pytest.raises(ValidationError) as error:
        care.order("JW03", actor=officer, **shares)
    assert set(error.value.message_dict) == {"split_reason"}  # the shares themselves are fine
    with pytest.raises(ValidationError) as error:  # must add up to the price exactly
        care.order(
            "JW03", actor=officer, split_reason="家属申请", **{**shares, "self_pay_yuan": "15.01"}
        )
    assert "self_pay_yuan" in error.value.message_dict
    order = care.order("JW03", actor=officer, split_reason="家属申请部分自付", **shares)
    assert (order.allowance_yuan, order.self_pay_yuan) == (Decimal("5.00"), Decimal("15.00"))
    assert order.split_reason == "家属申请部分自付"
    event = AuditEvent.objects.filter(object_id=str(order.pk)).first() or AuditEvent.objects.get(
        object_id=str(order.external_id)
    )
    assert event.changes["order"][1]["split_reason"] == "家属申请部分自付"


def _api(client: Client, data: dict) -> object:
    return client.post("/api/v1/orders/", json.dumps(data), content_type="application/json")


def _payload(care: Care, code: str = "JW03", **extra: object) -> dict:
    start = timezone.localdate() + datetime.timedelta(days=2)
    return {
        "elder": str(care.elder.external_id),
        "provider": str(care.provider.external_id),
        "service": str(care.items[code].external_id),
        "starts_on": start.isoformat(),
        "window_start": "10:00",
        "window_end": "12:00",
        **extra,
    }


def test_the_api_computes_the_split_and_enforces_the_override_rule(
    care: Care, allowance: Decimal
) -> None:
    worker = login(Client(), care.world.user[Role.COMMUNITY_WORKER])
    answer = _api(worker, _payload(care))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["allowance_yuan"], body["ltc_yuan"], body["self_pay_yuan"]) == (
        "20.00",
        "0.00",
        "0.00",
    )
    refused = _api(worker, _payload(care, allowance_yuan="1.00"))
    assert refused.status_code == 400 and "allowance_yuan" in refused.json(), refused.content
    officer = login(Client(), care.world.user[Role.STREET_OFFICER])
    override = {"allowance_yuan": "0.00", "self_pay_yuan": "20.00"}
    no_reason = _api(officer, _payload(care, window_start="13:00", window_end="15:00", **override))
    assert no_reason.status_code == 400 and "split_reason" in no_reason.json(), no_reason.content
    ok = _api(
        officer,
        _payload(
            care, window_start="13:00", window_end="15:00", split_reason="老人自愿自付", **override
        ),
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["split_reason"] == "老人自愿自付"
    assert Order.objects.count() == 2


def test_the_order_page_shows_price_and_entitlement_and_asks_no_shares(
    care: Care, allowance: Decimal
) -> None:
    _severe(care)
    client = login(Client(), care.world.user[Role.COMMUNITY_WORKER])
    url = f"/visits/orders/new/?elder={care.elder.external_id}"
    page = client.get(url).content.decode()
    assert 'name="allowance_yuan"' not in page and 'name="split_reason"' not in page
    assert 'id="split-preview"' in page and 'hx-get="/visits/orders/split/"' in page
    # The live preview: JSON for scripts, a fragment for htmx.
    query = {
        "elder": str(care.elder.external_id),
        "provider": care.provider.pk,
        "item": care.items["ZY01"].pk,
    }
    split = client.get("/visits/orders/split/", query).json()["split"]
    assert split == {
        "price": "80.00",
        "allowance_yuan": "32.00",
        "ltc_yuan": "48.00",
        "self_pay_yuan": "0.00",
        "monthly_allowance": "90.00",
        "allowance_left": "90.00",
        "ltc_covered": True,
        "ltc_percent": 60,
        "cover_problem": "",
    }
    fragment = client.get("/visits/orders/split/", query, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "48.00" in text and "90.00" in text and "<html" not in text
    # Without JavaScript the "work out the cost" button shows the same, placing nothing.
    start = timezone.localdate() + datetime.timedelta(days=1)
    data = {
        **query,
        "starts_on": start.isoformat(),
        "window_start": "09:00",
        "window_end": "11:00",
        "preview": "1",
    }
    preview = client.post(url, data)
    assert preview.status_code == 200 and "48.00" in preview.content.decode()
    assert not Order.objects.exists()
    del data["preview"]
    assert client.post(url, data).status_code == 302
    assert Order.objects.get().ltc_yuan == Decimal("48.00")


def test_an_officer_sees_the_override_fields_and_must_give_a_reason(care: Care) -> None:
    client = login(Client(), care.world.user[Role.STREET_OFFICER])
    client.cookies["django_language"] = "zh-hans"
    url = f"/visits/orders/new/?elder={care.elder.external_id}"
    page = client.get(url).content.decode()
    assert 'name="allowance_yuan"' in page and 'name="split_reason"' in page
    start = timezone.localdate() + datetime.timedelta(days=1)
    data = {
        "elder": str(care.elder.external_id),
        "provider": care.provider.pk,
        "item": care.items["JW03"].pk,
        "starts_on": start.isoformat(),
        "window_start": "09:00",
        "window_end": "11:00",
        "self_pay_yuan": "10",
        "ltc_yuan": "10",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "field-split_reason has-error" in refused.content.decode()
    assert not Order.objects.exists()
    assert client.post(url, {**data, "split_reason": "试点"}).status_code == 302
    assert Order.objects.get().split_reason == "试点"


def test_the_split_preview_is_scoped_like_the_order_form(care: Care) -> None:
    query = {
        "elder": str(care.elder.external_id),
        "provider": care.provider.pk,
        "item": care.items["JW03"].pk,
    }
    outsider = login(Client(), care.world.user["worker_YA1a"])
    assert outsider.get("/visits/orders/split/", query).status_code == 404
    assert outsider.get("/visits/orders/split/", {"elder": "nonsense"}).status_code == 404
    auditor = login(Client(), care.world.user[Role.AUDITOR])
    assert auditor.get("/visits/orders/split/", query).status_code == 403
    worker = login(Client(), care.world.user[Role.COMMUNITY_WORKER])
    assert worker.get("/visits/orders/split/", {**query, "item": "x"}).json() == {"split": None}
