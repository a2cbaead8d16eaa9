"""Display functions: stored values become words in the reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from yiyang.core import display


@pytest.fixture
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


@pytest.mark.usefixtures("chinese")
def test_device_readings_read_as_sentences() -> None:
    assert display.details({"battery": 38.0}) == "电量：38%"
    assert display.details({"lat": 34.75, "lng": 113.65}) == "北纬 34.7500°，东经 113.6500°"
    assert display.details({"heart_rate": 72, "unknown_key": 1}) == "心率：72 次/分"
    assert display.details({}) == "—"


@pytest.mark.usefixtures("chinese")
def test_audit_changes_name_fields_and_choices() -> None:
    text = display.audit_changes("alerts.alert", {"status": ["open", "acknowledged"]})
    assert "→" in text and "{" not in text and "open" not in text and text.startswith("状态：")
    assert display.audit_changes("alerts.alert", {"tier": [0, 1]}) == "升级梯队：0 → 1"
    assert display.audit_changes("elders.elder", {"name": [None, "张华"]}) == "姓名：张华"
    assert (
        display.audit_changes("services.caregiver", {"skills": [[], ["bathing"]]})
        == "技能：协助洗浴"
    )


@pytest.mark.usefixtures("chinese")
def test_labels_lists_durations_and_money() -> None:
    assert display.model_label("alerts.alert") == "报警"
    assert display.model_label("nowhere.nothing") == "其他记录"
    assert display.words(["a", "b"]) == "a、b"
    assert display.duration(41) == "41 秒"
    assert display.duration(720) == "12 分钟"
    assert display.duration(3900) == "1 小时 5 分钟"
    assert display.money(Decimal("80")) == "80.00 元"
    assert display.coordinates(None, 1) == "—"


def test_english_words() -> None:
    with translation.override("en"):
        assert display.details({"battery": 38.0}) == "Battery: 38%"
        assert display.words(["a", "b"]) == "a, b"
        assert display.distance(1234) == "1.2 km"
        assert display.answer_mark(41, 60, 180) == ("ok", "within 60 s")
        assert display.answer_mark(None, 60, 180)[0] == "miss"
