"""One roster row to values, or per-cell reasons (the elder import's cell parsers)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.elders.parsing import CellError, clean_text, parse_choice, parse_date
from yiyang.elders.tabular import RawRow
from yiyang.workforce.choices import Education, LeaveReason, SkillLevel
from yiyang.workforce.columns import (
    EDUCATION_ALIASES,
    HEADERS,
    LEAVE_ALIASES,
    REQUIRED_COLUMNS,
    SEX_ALIASES,
    SKILL_ALIASES,
)

FUTURE_ALLOWED = ("certificate_expires_on", "health_certificate_expires_on")
DATE_COLUMNS = (
    "hired_on",
    "left_on",
    "certificate_issued_on",
    "certificate_expires_on",
    "health_certificate_expires_on",
)
TEXT_COLUMNS = {"name": 50, "certificate_number": 40, "certificate_issuer": 100, "employer": 100}
CHOICES: dict[str, tuple[Any, dict[str, str]]] = {
    "skill_level": (SkillLevel.choices, SKILL_ALIASES),
    "education": (Education.choices, EDUCATION_ALIASES),
    "leave_reason": (LeaveReason.choices, LEAVE_ALIASES),
    "sex": ((("male", _("Male")), ("female", _("Female"))), SEX_ALIASES),
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class Parsed:
    row: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)

    def error(self, key: str, value: object, reason: str) -> None:
        self.errors.append(RowError(self.row, HEADERS.get(key, key), show(value), reason))


def show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)[:200]


def _id_number(value: object) -> Any:
    if isinstance(value, float) or (isinstance(value, int) and len(str(value)) < 15):
        raise CellError(
            _("The ID number was stored as a number and lost digits: format the column as text.")
        )
    try:
        return parse_citizen_id(str(value))
    except IdNumberError as exc:
        raise CellError(str(exc)) from None


_DATES: dict[tuple[bool, object, datetime.date], datetime.date | None] = {}


def _date(future: bool, value: object) -> datetime.date | None:
    """A date cell; expiry dates lie ahead, hire, leave and issue dates cannot. A roster
    repeats a few thousand dates: each is parsed once per day (errors are not kept)."""
    key = (future, value, datetime.date.today())
    if key not in _DATES:
        if len(_DATES) > 100_000:
            _DATES.clear()
        _DATES[key] = parse_date(value, today=datetime.date(9999, 12, 31) if future else None)
    return _DATES[key]


def _cell(key: str, value: object) -> Any:
    if key == "id_number":
        return _id_number(value)
    if key in DATE_COLUMNS:
        return _date(key in FUTURE_ALLOWED, value)
    if key in CHOICES:
        choices, aliases = CHOICES[key]
        return parse_choice(value, choices=choices, aliases=aliases)
    if key in TEXT_COLUMNS:
        return clean_text(value, max_length=TEXT_COLUMNS[key])
    return None


def parse_row(raw: RawRow) -> Parsed:
    """Cells to values; then the checks across cells (dates in order, reasons with dates)."""
    parsed = Parsed(raw.number, {})
    for key in sorted(raw.formulas):
        parsed.error(key, "", _("The cell holds a formula; paste its value instead."))
    for key, value in raw.values.items():
        if value is None or key in raw.formulas:
            continue
        try:
            result = _cell(key, value)
        except CellError as exc:
            parsed.error(key, value, str(exc))
            continue
        if key == "id_number":
            # The number, and what it says (birth date, sex) when the row does not.
            parsed.values.update(id_number=result.number, birth_date=result.birth_date)
            parsed.values.setdefault("sex", result.sex)
        elif result not in (None, ""):
            parsed.values[key] = result
    values = parsed.values
    bad = {e.column for e in parsed.errors}
    for key in REQUIRED_COLUMNS:
        if key not in values and HEADERS[key] not in bad:
            parsed.error(key, "", _("This cell is required."))
    hired, left = values.get("hired_on"), values.get("left_on")
    if hired and left and left < hired:
        parsed.error(
            "left_on",
            left,
            _("The leave date is before the hire date (%(hired)s).") % {"hired": hired.isoformat()},
        )
    if values.get("leave_reason") and not left and HEADERS["left_on"] not in bad:
        parsed.error(
            "leave_reason",
            values["leave_reason"],
            _("A reason for leaving is given without a leave date."),
        )
    issued, expires = values.get("certificate_issued_on"), values.get("certificate_expires_on")
    if issued and expires and expires <= issued:
        parsed.error(
            "certificate_expires_on",
            expires,
            _("The certificate expires before it was issued (%(issued)s).")
            % {"issued": issued.isoformat()},
        )
    if (issued or expires) and not values.get("certificate_number"):
        parsed.error("certificate_number", "", _("Certificate dates are given without its number."))
    return parsed
