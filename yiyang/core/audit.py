"""Writing the audit log. Services call :func:`audit_record` inside their transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Model

from yiyang.core.bulk import insert_rows
from yiyang.core.context import current_origin
from yiyang.core.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return str(getattr(value, "external_id", value.pk))
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    return value


def snapshot(instance: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` as JSON-ready data (foreign keys by their external id)."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def created(instance: Model, fields: Iterable[str]) -> dict[str, list[Any]]:
    """``{field: [None, value]}`` for a record just created (its :func:`snapshot`)."""
    return {name: [None, value] for name, value in snapshot(instance, fields).items()}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for each field whose value changed."""
    return {
        name: [before.get(name), after.get(name)]
        for name in after
        if before.get(name) != after.get(name)
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_repr: str = "",
    division_code: str = "",
    changes: Mapping[str, Any] | None = None,
    username: str = "",
) -> AuditEvent:
    origin = current_origin()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_repr = object_repr or str(obj)[:255]
    user: Any = (
        actor if isinstance(actor, Model) and getattr(actor, "is_authenticated", False) else None
    )
    if actor is not None and not username:
        username = str(getattr(actor, "username", ""))
    return AuditEvent.objects.create(
        actor=user,
        actor_username=username[:150],
        action=action,
        object_type=object_type,
        object_id=str(getattr(obj, "external_id", "")) if obj is not None else "",
        object_repr=object_repr[:255],
        division_code=division_code,
        changes=dict(changes or {}),
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
    )


def audit_record_many(
    *,
    actor: Any,
    action: str,
    objects: Sequence[Model],
    division_codes: Sequence[str],
    changes: Sequence[Mapping[str, Any]],
    object_reprs: Sequence[str] | None = None,
    username: str = "",
    ats: Sequence[datetime.datetime] | None = None,
) -> int:
    """:func:`audit_record` for many objects of one action in one insert (alerts raised by a
    storm of alarms): the same rows, written together as plain rows. ``ats``: when each
    happened, for a replay of the past (else now, by ``core.clock``). Returns their number."""
    origin = current_origin()
    user: Any = (
        actor if isinstance(actor, Model) and getattr(actor, "is_authenticated", False) else None
    )
    if actor is not None and not username:
        username = str(getattr(actor, "username", ""))
    reprs = object_reprs if object_reprs is not None else [str(obj) for obj in objects]
    common = (
        user.pk if user is not None else None,
        username[:150],
        action,
        origin.ip_address,
        origin.user_agent,
    )
    times: list[datetime.datetime | None] = [None] * len(objects)
    if ats is not None:
        times = list(ats)
    rows = (
        (
            *common,
            obj._meta.label_lower,
            str(getattr(obj, "external_id", "")),
            text[:255],
            code,
            dict(change),
            *(() if ats is None else (at,)),
        )
        for obj, code, change, text, at in zip(
            objects, division_codes, changes, reprs, times, strict=True
        )
    )
    return insert_rows(
        AuditEvent,
        (
            "actor_id",
            "actor_username",
            "action",
            "ip_address",
            "user_agent",
            "object_type",
            "object_id",
            "object_repr",
            "division_code",
            "changes",
            *(() if ats is None else ("at",)),
        ),
        rows,
    )
