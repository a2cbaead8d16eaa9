"""The audit row of one change to one record, in the record's own division: the call every
service makes, with the division read from the record unless the service says otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model

from yiyang.core.audit import audit_record
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
