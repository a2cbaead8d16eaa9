"""The city's working-day calendar: public holidays that fall on weekdays and weekend days
worked in exchange (调休), edited by the city when the State Council's notice is out.
Deadlines computed after a change follow it; deadlines already given stay as given."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.supervision.choices import DayKind
from yiyang.supervision.models import CalendarDay
from yiyang.supervision.services.common import audit


def _day_errors(day: datetime.date, kind: str, name: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    weekend = day.weekday() >= 5
    if kind not in DayKind.values:
        errors["kind"] = _("Choose a public holiday or a working weekend day.")
    elif kind == DayKind.HOLIDAY and weekend:
        errors["date"] = _("%(date)s is a Saturday or Sunday: a rest day already.") % {
            "date": day.isoformat()
        }
    elif kind == DayKind.WORKDAY and not weekend:
        errors["date"] = _("%(date)s is a weekday: a working day already.") % {
            "date": day.isoformat()
        }
    if not name:
        errors["name"] = _("Name the day: the holiday, or the holiday it is worked for.")
    return errors


@transaction.atomic
def calendar_day_set(
    *, actor: Actor, day: datetime.date, kind: str, name: str, uncertain: bool = False
) -> CalendarDay:
    """Enter or change one day of the calendar (a holiday on a weekday, or a weekend day
    worked); ``uncertain`` marks a day not yet confirmed from the State Council's notice."""
    require_perm(actor, Permission.MANAGE_CALENDAR)
    name = str(name or "").strip()[:60]
    errors = _day_errors(day, kind, name)
    if errors:
        raise ValidationError(errors)
    existing = CalendarDay.objects.select_for_update().filter(date=day).first()
    before = (
        (None, None, None)
        if existing is None
        else (existing.kind, existing.name, existing.uncertain)
    )
    row, created = CalendarDay.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name, "uncertain": bool(uncertain)}
    )
    audit(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        row,
        actor.scope.division_prefix or "",
        {
            "date": [None, day.isoformat()],
            "kind": [before[0], kind],
            "name": [before[1], name],
            "uncertain": [before[2], bool(uncertain)],
        },
    )
    return row


@transaction.atomic
def calendar_day_remove(*, actor: Actor, day: datetime.date) -> None:
    """Take a day out of the calendar: it follows the Monday-to-Friday rule again."""
    require_perm(actor, Permission.MANAGE_CALENDAR)
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        raise ValidationError({"date": _("%(date)s is not in the calendar.") % {"date": day}})
    audit(
        actor,
        AuditAction.UPDATE,
        row,
        actor.scope.division_prefix or "",
        {"date": [day.isoformat(), None], "kind": [row.kind, None], "name": [row.name, None]},
    )
    row.delete()
