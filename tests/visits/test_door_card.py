"""The caregiver's visit page: the door card (tap-to-call phones, first emergency contact,
health notes) for the assigned caregiver only, the check-in verdict, and the short-visit
confirmation the check-out button carries."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import login
from tests.visits.conftest import Care, fix
from yiyang.elders.models import AccessLog
from yiyang.elders.services import contact_add
from yiyang.visits import services


def page(user: Any, visit: Any) -> str:
    return str(login(Client(), user).get(f"/visits/{visit.external_id}/").content.decode())


def test_the_assigned_caregiver_sees_whom_to_call(care: Care) -> None:
    contact_add(
        actor=care.world.user["city_admin"],
        elder=care.elder,
        name="李强",
        relation="child",
        phones=["13900139000"],
        is_first_to_call=True,
    )
    visit = care.assigned()
    text = page(care.caregiver_user, visit)
    assert 'id="door-card"' in text
    assert '<a class="tel" href="tel:13900139000">' in text and "李强 (子女)" in text
    log = AccessLog.objects.get(actor_username=care.caregiver_user.username)
    assert log.fields == ["contact_phones"]
    assert 'id="door-card"' not in page(care.manager, visit)  # the manager has other pages


def test_check_in_says_whether_the_location_was_verified(care: Care) -> None:
    visit = care.now_window(care.assigned())
    services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=fix())
    text = page(care.caregiver_user, visit)
    assert 'class="verdict ok"' in text and "签到位置已核验：距住址 0 米（允许范围 200 米）" in text
    assert 'data-short-minutes="' in text and 'data-check-in-at="' in text
    assert "签到后仅 {elapsed} 分钟" in text


def test_a_far_check_in_is_named_as_such(care: Care) -> None:
    visit = care.now_window(care.assigned())
    services.visit_check_in(actor=care.caregiver_user, visit=visit, fix=fix(lat=34.76, lng=113.65))
    text = page(care.caregiver_user, visit)
    assert 'class="verdict warn"' in text and "超出允许范围 200 米" in text
