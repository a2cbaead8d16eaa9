"""Cell values: dates, phones, choices, text."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from yiyang.elders.choices import ALIASES, LivingArrangement
from yiyang.elders.parsing import (
    CellError,
    clean_text,
    mask_phone,
    parse_bool,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_phones,
    split_multi,
)

TODAY = datetime.date(2026, 11, 22)
D = datetime.date(1945, 3, 2)


@pytest.mark.parametrize(
    "value",
    [
        D,
        datetime.datetime(1945, 3, 2, 0, 0),
        16498,
        16498.0,
        "16498",
        "1945-03-02",
        "1945-3-2",
        "1945/3/2",
        "1945.3.2",
        "19450302",
        "1945年3月2日",
        "1945年3月2号",
        "１９４５－０３－０２",
        "1945-03-02 00:00:00",
    ],
)
def test_dates_in_every_usual_form(value: object) -> None:
    assert parse_date(value, today=TODAY) == D


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1945-13-02", "Not a real date"),
        ("1945-02-30", "Not a real date"),
        ("昨天", "Not a date"),
        ("1899-12-31", "before 1900"),
        ("2030-01-01", "in the future"),
        (0, "Not a date"),
    ],
)
def test_bad_dates(value: object, message: str) -> None:
    with pytest.raises(CellError, match=message):
        parse_date(value, today=TODAY)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+86 138 0013 8000", ["13800138000"]),
        ("0086-138-0013-8000", ["13800138000"]),
        ("8613800138000", ["13800138000"]),
        ("(0371) 6543-2100", ["037165432100"]),
        (13800138000.0, ["13800138000"]),
        ("１３８００１３８０００", ["13800138000"]),
        ("13800138000、13900139000；13800138000", ["13800138000", "13900139000"]),
        (None, []),
        ("", []),
    ],
)
def test_phones(value: object, expected: list[str]) -> None:
    assert parse_phones(value) == expected


@pytest.mark.parametrize("value", ["12345", "1380013800", "6543210", "0371-6543210转123"])
def test_bad_phones(value: str) -> None:
    with pytest.raises(CellError, match="11-digit mobile"):
        parse_phones(value)


def test_masks() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("037165432100") == "0371****2100"
    assert mask_phone("01065432100") == "010****2100"


def test_choices_by_code_label_chinese_or_alias() -> None:
    choices = LivingArrangement.choices
    aliases = ALIASES["living_arrangement"]
    for value in ("alone", "Living alone", "独居", " 独居 ", "ALONE"):
        assert parse_choice(value, choices=choices, aliases=aliases) == "alone"
    assert parse_choice("空巢", choices=choices, aliases=aliases) == "spouse_only"
    with pytest.raises(CellError, match="Unknown value 住在月球"):
        parse_choice("住在月球", choices=choices, aliases=aliases)


def test_text_decimal_bool_and_lists() -> None:
    assert clean_text("  张　秀英  ", max_length=10) == "张 秀英"
    assert clean_text(12.0, max_length=10) == "12"
    with pytest.raises(CellError, match="at most 3"):
        clean_text("四个字符", max_length=3)
    assert parse_decimal("34.1234567", minimum=Decimal(-90), maximum=Decimal(90), places=6) == (
        Decimal("34.123457")
    )
    with pytest.raises(CellError):
        parse_decimal("north", minimum=Decimal(-90), maximum=Decimal(90), places=6)
    assert (parse_bool("是"), parse_bool("no"), parse_bool(None)) == (True, False, None)
    assert split_multi("高血压、糖尿病;冠心病") == ["高血压", "糖尿病", "冠心病"]
