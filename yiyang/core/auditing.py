"""The audit row of one change to one record, in the record's own division: the call every
service makes, with the division read from the record unless the service says otherwise."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Model

from yiyang.core.audit import audit_record, diff, snapshot
from yiyang.core.choices import AuditAction
from yiyang.core.models import AuditEvent


def audit_change(
    actor: Any,
    action: str,
    obj: Model,
    changes: Mapping[str, Any],
    *,
    division_code: str | None = None,
) -> AuditEvent:
    """Audit ``action`` on ``obj`` with its ``changes`` (``{field: [old, new]}`` or plain
    facts), filed under ``division_code`` or, by default, the record's ``division_code``."""
    if division_code is None:
        division_code = str(getattr(obj, "division_code"))  # noqa: B009 - not every model has one
    return audit_record(
        actor=actor, action=action, obj=obj, division_code=division_code, changes=changes
    )


def update_audited(
    actor: Any,
    obj: Model,
    values: Mapping[str, Any],
    fields: Iterable[str],
    *,
    division_code: str | None = None,
) -> dict[str, list[Any]]:
    """Write validated ``values`` to ``obj``; when any of ``fields`` changed, save it and
    audit the change (neither when nothing did). The changes, ``{field: [old, new]}``.
    ``division_code`` as for :func:`audit_change` (a record moved to another division is
    audited where it now is)."""
    fields = list(fields)
    before = snapshot(obj, fields)
    for name, value in values.items():
        setattr(obj, name, value)
    changes = diff(before, snapshot(obj, fields))
    if changes:
        obj.save()
        audit_change(actor, AuditAction.UPDATE, obj, changes, division_code=division_code)
    return changes
