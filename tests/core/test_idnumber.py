"""GB 11643-1999 citizen ID numbers."""

from __future__ import annotations

import datetime

import pytest

from yiyang.core.idnumber import (
    IdNumberError,
    check_character,
    mask_id_number,
    normalise,
    parse_citizen_id,
)

TODAY = datetime.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [
        ("11010519491231002X", datetime.date(1949, 12, 31), "female"),  # the standard's example
        ("440524188001010014", None, None),  # valid checksum, but born before 1900
    ],
)
def test_reference_examples_have_the_right_check_character(
    number: str, birth: datetime.date | None, sex: str | None
) -> None:
    assert check_character(number[:17]) == number[17]
    if birth is None:
        with pytest.raises(IdNumberError, match="before 1900"):
            parse_citizen_id(number, today=TODAY)
        return
    parsed = parse_citizen_id(number, today=TODAY)
    assert (parsed.birth_date, parsed.sex, parsed.address_code) == (birth, sex, "110105")


@pytest.mark.parametrize(
    "raw",
    ["１１０１０５１９４９１２３１００２ｘ", " 110105 19491231 002x ", "110105-19491231-002X"],
)
def test_full_width_spaces_dashes_and_lower_case_x_are_normalised(raw: str) -> None:
    assert parse_citizen_id(raw, today=TODAY).number == "11010519491231002X"


def test_legacy_15_digit_numbers_are_upgraded() -> None:
    parsed = parse_citizen_id("110105491231002", today=TODAY)
    assert parsed.number == "11010519491231002X"
    assert parsed.upgraded_from_15 is True


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("110105194912310021", "check character is 1 but should be X"),
        ("11010520501231002X", "future"),
        ("110105194902300028", "not a real date"),
        ("1101051949123100", "18 characters"),
        ("11010519491231002Y", "17 digits followed by a digit or X"),
        ("01010519491231002X", "cannot start with 0"),
        ("11010549123100A", "digits only"),
    ],
)
def test_bad_numbers_say_what_is_wrong(raw: str, fragment: str) -> None:
    with pytest.raises(IdNumberError, match=fragment):
        parse_citizen_id(raw, today=TODAY)


def test_sex_comes_from_the_17th_digit() -> None:
    first_17 = "41010219500101001"  # 001: odd, male
    assert parse_citizen_id(first_17 + check_character(first_17), today=TODAY).sex == "male"
    first_17 = "41010219500101002"
    assert parse_citizen_id(first_17 + check_character(first_17), today=TODAY).sex == "female"


def test_masking_keeps_the_county_and_the_last_four() -> None:
    assert mask_id_number("410102195001011234") == "410102********1234"
    assert normalise("ａｂｃ") == "ABC"
