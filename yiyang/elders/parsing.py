"""One spreadsheet cell (or form value) to a clean value, or a clear reason why not.

Spreadsheets from civil-affairs, health and insurance offices are messy: full-width digits,
Excel date serials, dates typed in half a dozen ways, phone numbers with +86, spaces and
dashes. Everything is NFKC-normalised first (full-width to half-width).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiyang.core.cells import looks_like_formula

EARLIEST = datetime.date(1900, 1, 1)
EXCEL_EPOCH = datetime.date(1899, 12, 30)  # 1900 date system, with Excel's leap-year bug
MAX_SERIAL = 2_958_465  # 9999-12-31
_SPLIT = re.compile(r"[,，;；、/\n\r]+")
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
]
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{9,11}$")
_PHONE_NOISE = re.compile(r"[\s\-()（）.]")


class CellError(ValueError):
    """Why a value cannot be used (a translated, human message)."""


def _nfkc(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_text(value: object, *, max_length: int) -> str | None:
    """Normalised text with inner whitespace collapsed; None for empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, int | float):
        value = _number_text(value)
    text = " ".join(_nfkc(value).split())
    if not text:
        return None
    if looks_like_formula(text):
        # A spreadsheet would run it when the registry is exported and opened (CSV injection).
        raise CellError(
            _("Looks like a spreadsheet formula (starts with %(sign)s); plain text only.")
            % {"sign": text[0]}
        )
    if len(text) > max_length:
        raise CellError(
            _("Too long: %(length)d characters, at most %(limit)d.")
            % {"length": len(text), "limit": max_length}
        )
    return text


def parse_date(value: object, *, today: datetime.date | None = None) -> datetime.date | None:
    """A date from a date cell, an Excel serial number or text in the usual formats."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    today = today or timezone.localdate()
    if isinstance(value, datetime.datetime):
        found = value.date()
    elif isinstance(value, datetime.date):
        found = value
    elif isinstance(value, bool):
        raise CellError(_("Not a date: %(value)s") % {"value": value})
    elif isinstance(value, int | float):
        found = _serial(value)
    else:
        text = _nfkc(value)
        if re.fullmatch(r"\d{1,7}(\.\d+)?", text) and not re.fullmatch(r"\d{8}", text):
            found = _serial(float(text))
        else:
            found = _text_date(text)
    if found < EARLIEST:
        raise CellError(_("The date %(date)s is before 1900.") % {"date": found.isoformat()})
    if found > today:
        raise CellError(_("The date %(date)s lies in the future.") % {"date": found.isoformat()})
    return found


def _serial(number: float) -> datetime.date:
    if not 1 <= number <= MAX_SERIAL:
        raise CellError(_("Not a date: %(value)s") % {"value": _number_text(number)})
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))


def _text_date(text: str) -> datetime.date:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise CellError(_("Not a real date: %(value)s") % {"value": text}) from None
    raise CellError(
        _("Not a date: %(value)s (write it as 1945-03-02 or 1945年3月2日)") % {"value": text}
    )


def normalise_phone(text: str) -> str:
    """One phone number as digits: an 11-digit mobile or a landline with its area code."""
    raw = text
    if isinstance(text, float | int):
        raw = _number_text(text)
    digits = _PHONE_NOISE.sub("", _nfkc(raw))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and MOBILE.match(digits[2:]):
        digits = digits[2:]
    if MOBILE.match(digits) or LANDLINE.match(digits):
        return digits
    raise CellError(
        _("Not a phone number: %(value)s (an 11-digit mobile or a landline with its area code)")
        % {"value": _nfkc(raw)}
    )


def parse_phones(value: object) -> list[str]:
    """Several numbers in one cell, separated by commas, semicolons, 、 or slashes."""
    if value is None:
        return []
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [normalise_phone(_number_text(value))]
    numbers: list[str] = []
    for part in _SPLIT.split(_nfkc(value)):
        if part.strip():
            number = normalise_phone(part)
            if number not in numbers:
                numbers.append(number)
    return numbers


def mask_phone(number: str) -> str:
    """13800138000 -> 138****8000; a landline keeps its area code and last four digits."""
    if len(number) < 7:
        return "*" * len(number)
    if MOBILE.match(number):
        return number[:3] + "****" + number[-4:]
    area = 3 if number[:2] in ("01", "02") else 4
    return number[:area] + "****" + number[-4:]


def parse_decimal(
    value: object, *, minimum: Decimal, maximum: Decimal, places: int
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(_nfkc(value) if not isinstance(value, float) else repr(value))
    except InvalidOperation:
        raise CellError(_("Not a number: %(value)s") % {"value": value}) from None
    if not number.is_finite() or not minimum <= number <= maximum:
        raise CellError(
            _("%(value)s is not between %(min)s and %(max)s.")
            % {"value": value, "min": minimum, "max": maximum}
        )
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _key(text: object) -> str:
    return "".join(_nfkc(text).casefold().split())


_LOOKUPS: dict[tuple[tuple[str, ...], int], dict[str, str]] = {}


def _lookup(pairs: Sequence[tuple[str, Any]], aliases: Mapping[str, str] | None) -> dict[str, str]:
    """Code by every accepted spelling, built once per code list and alias table (labels are
    lazy translations: evaluating them per cell would cost more than the rest of a row)."""
    key = (tuple(str(code) for code, _label in pairs), id(aliases))
    table = _LOOKUPS.get(key)
    if table is None:
        table = {}
        for code, label in pairs:
            table[_key(code)] = str(code)
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    table.setdefault(_key(str(label)), str(code))
        for alias, code in (aliases or {}).items():
            table.setdefault(_key(alias), str(code))
        _LOOKUPS[key] = table
    return table


_MEMO: dict[tuple[str, int, str], str] = {}


def parse_choice(
    value: object,
    *,
    choices: Mapping[str, Any] | Iterable[tuple[str, Any]],
    aliases: Mapping[str, str] | None = None,
) -> str | None:
    """A code from its code, its English or Chinese label, or an accepted alias."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    pairs = tuple(choices.items() if isinstance(choices, Mapping) else choices)
    # Spreadsheets repeat the same few words in every row: remember each answer.
    memo_key = (str(pairs[0][0]) if pairs else "", id(aliases), repr(value))
    code = _MEMO.get(memo_key)
    if code is not None:
        return code
    table = _lookup(pairs, aliases)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    code = table.get(_key(value))
    if code is None:
        with translation.override("zh-hans"):
            accepted = "、".join(str(label) for _, label in pairs[:12])
        raise CellError(
            _("Unknown value %(value)s; expected one of: %(accepted)s")
            % {"value": _nfkc(value), "accepted": accepted}
        )
    if len(_MEMO) < 100_000:
        _MEMO[memo_key] = code
    return code


def split_multi(value: object) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in _SPLIT.split(_nfkc(value)) if part.strip()]


_TRUE = {"是", "有", "yes", "y", "true", "1", "√", "✓"}
_FALSE = {"否", "无", "没有", "no", "n", "false", "0", "×", "✗"}


def parse_bool(value: object) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    key = _key(_number_text(value) if isinstance(value, int | float) else value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(_("Write yes or no (是 or 否), not %(value)s.") % {"value": value})
