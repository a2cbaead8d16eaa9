"""Shared plumbing of the supervision services: audit, scope guard, step guard, deadlines."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Role
from yiyang.supervision.selectors import calendar_overrides
from yiyang.supervision.workdays import add_working_days


def audit(actor: Actor, action: str, obj: Any, division_code: str, changes: dict[str, Any]) -> None:
    audit_record(actor=actor, action=action, obj=obj, division_code=division_code, changes=changes)


def audit_update(actor: Actor, obj: Any, **changes: list[Any]) -> None:
    """Audit a change to a supervision record, in the record's own division."""
    audit_change(actor, AuditAction.UPDATE, obj, changes)


def require_area_evaluator(evaluator: Any, division_code: str) -> None:
    """An evaluator may be given a task only if active and of the task's area."""
    if (
        evaluator is None
        or evaluator.role != Role.EVALUATOR
        or not evaluator.is_active
        or evaluator.division is None
        or not division_code.startswith(evaluator.division.code_prefix)
    ):
        raise ValidationError({"evaluator": _("Choose an active evaluator of this area.")})


def require_in_scope(actor: Actor, *, division_code: str, organisation_id: int | None) -> None:
    if not actor.scope.covers(division_code=division_code, organisation_id=organisation_id):
        raise PermissionDenied("scope")


def require_step(record: Any, status: str, open_steps: Collection[str], refusal: str) -> None:
    """Refuse moving ``record`` to ``status`` unless its lifecycle opens that step now
    (``open_steps``, what the page shows as buttons); ``refusal`` names the record's
    status as ``%(status)s``."""
    if status not in open_steps:
        raise ValidationError({"status": refusal % {"status": record.get_status_display()}})


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last second of a day in the city's time zone: a deadline "by day D"."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def working_deadline(start: datetime.datetime, working_days: int) -> datetime.datetime:
    """The end of the ``working_days``-th working day after ``start``'s local date."""
    day = timezone.localdate(start)
    return end_of_day(add_working_days(day, working_days, calendar_overrides()))
