"""Safe alarm handling: no default outcome, handling at the top of the panel, answer times in
seconds marked against the 60 s and 180 s targets, readable device events and battery."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from tests.alerts.helpers import Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World
from yiyang.alerts.models import Alert
from yiyang.alerts.services import device_messages_ingest


@pytest.fixture
def sos(world: World, clock: Clock) -> Alert:
    elder = elder_with_contacts(world)
    device = bound_device(world, elder)
    device_messages_ingest(
        messages=[msg(device, "location", lat=34.75, lng=113.65), msg(device, "sos")]
    )
    return Alert.objects.get()


def panel(client_for: Any, alert: Alert) -> str:
    return str(client_for("operator").get(f"/alerts/?alert={alert.external_id}").content.decode())


def test_the_resolve_form_has_no_default_outcome(client_for: Any, sos: Alert) -> None:
    text = panel(client_for, sos)
    select = re.search(r'<select name="outcome" id="outcome"[^>]*>(.*?)</select>', text, re.S)
    assert select is not None and "required" in select.group(0)
    options = re.findall(r"<option[^>]*>", select.group(1))
    assert options[0] == '<option value="" selected disabled>'
    assert all("selected" not in o for o in options[1:])


def test_acknowledge_and_resolve_come_first_in_the_panel(client_for: Any, sos: Alert) -> None:
    text = panel(client_for, sos)
    start = text.index('id="alert-panel"')
    assert (
        start < text.index('id="ack"') < text.index('id="resolve-form"') < text.index('id="script"')
    )
    assert 'accesskey="a"' in text and 'accesskey="r"' in text


def test_resolving_without_an_outcome_is_refused_in_words(client_for: Any, sos: Alert) -> None:
    page = client_for("operator").post(f"/alerts/{sos.external_id}/resolve/", {}, follow=True)
    text = page.content.decode()
    assert "请选择处置结果。" in text and "outcome:" not in text
    sos.refresh_from_db()
    assert (sos.status, sos.outcome) == ("open", "")


@pytest.mark.parametrize(
    ("seconds", "words", "mark"),
    [
        (41, "41 秒 · 60 秒内", "ok"),
        (62, "62 秒 · 超过 60 秒", "late"),
        (200, "200 秒 · 超过 180 秒", "miss"),
    ],
)
def test_answer_times_are_seconds_marked_per_alarm(
    client_for: Any, sos: Alert, seconds: int, words: str, mark: str
) -> None:
    Alert.objects.filter(pk=sos.pk).update(
        status="acknowledged", acknowledged_at=sos.raised_at + datetime.timedelta(seconds=seconds)
    )
    text = panel(client_for, sos)
    assert f'<span class="answer {mark}" data-seconds="{seconds}">{words}</span>' in text
    history = client_for("operator").get("/alerts/history/").content.decode()
    assert f'<span class="answer {mark}" data-seconds="{seconds}">{words}</span>' in history


def test_device_events_are_sentences_and_battery_is_a_dash(client_for: Any, sos: Alert) -> None:
    text = panel(client_for, sos)
    assert "北纬 34.7500°，东经 113.6500°" in text
    assert "{'" not in text and "—%" not in text
    assert 'id="device-event-table"' in text


def test_the_console_says_when_sound_is_off(client_for: Any, sos: Alert) -> None:
    text = client_for("operator").get("/alerts/").content.decode()
    assert 'id="sound-state"' in text and "点击页面任意位置即可听到紧急报警提示音" in text
