"""Months: the current one, parsing and checking a month, ranges of months."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def current_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def month_parse(text: str, *, field_name: str = "month") -> datetime.date:
    """'2026-03' -> 2026-03-01, or a ValidationError naming the field."""
    try:
        day = datetime.datetime.strptime(text.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise ValidationError(
            {field_name: _("“%(value)s” is not a month; write it as YYYY-MM.") % {"value": text}}
        ) from None
    return day


def month_check(month: datetime.date, *, field_name: str = "month") -> datetime.date:
    """The first day of ``month``; a month after the running one is an error."""
    month = month.replace(day=1)
    if month > current_month():
        raise ValidationError(
            {
                field_name: _("%(month)s is in the future; the latest month is %(current)s.")
                % {"month": f"{month:%Y-%m}", "current": f"{current_month():%Y-%m}"}
            }
        )
    return month


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    day = first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def month_add(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)
