"""Raising one alert, or joining the active alert of the same incident."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from yiyang.alerts import bus
from yiyang.alerts.choices import ACTIVE_STATUSES, PRIORITY_OF, AlertKind, AlertSource, Priority
from yiyang.alerts.models import Alert
from yiyang.alerts.services.notifications import notify_on_raise
from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.devices import clock
from yiyang.devices.models import Device
from yiyang.elders.models import Elder


def username_of(actor: Any) -> str:
    return str(getattr(actor, "username", "") or "")[:150]


def ack_deadline(at: datetime.datetime) -> datetime.datetime:
    return at + datetime.timedelta(seconds=settings.ALERT_ACK_TIMEOUT_SECONDS)


def alert_raise_or_join(
    *,
    elder: Elder,
    kind: str,
    detail: str,
    source: str,
    dedupe_key: str,
    at: datetime.datetime,
    now: datetime.datetime,
    device: Device | None = None,
    raised_by: str = "",
    join: bool = True,
    priority: int | None = None,
) -> tuple[Alert, bool]:
    """The active alert of this incident with one more event, or a new alert. With
    ``join=False`` (time-based rules re-checking a lasting condition) an active alert is
    left as it is."""
    active = Alert.objects.filter(dedupe_key=dedupe_key, status__in=ACTIVE_STATUSES)
    for _attempt in range(3):
        current = active.select_for_update().first()
        if current is not None:
            if join:
                active.filter(pk=current.pk).update(
                    event_count=F("event_count") + 1, last_event_at=at, updated_at=now
                )
                current.refresh_from_db()
                bus.change_record(alert=current, change="joined", at=now)
            return current, False
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    elder=elder,
                    division_code=elder.division_code,
                    device=device,
                    kind=kind,
                    priority=priority or PRIORITY_OF.get(kind, Priority.WARNING),
                    source=source,
                    detail=detail[:300],
                    dedupe_key=dedupe_key[:120],
                    first_event_at=at,
                    last_event_at=at,
                    raised_at=now,
                    raised_by_username=raised_by,
                    escalate_at=ack_deadline(now),
                )
        except IntegrityError:
            continue  # another process raised it just now: join theirs
        bus.change_record(alert=alert, change="raised", at=now)
        notify_on_raise(alert, now)
        audit_record(
            actor=None,
            action=AuditAction.CREATE,
            obj=alert,
            division_code=alert.division_code,
            # The detail is health data: sealed in the audit record as in the alert.
            changes=crypto.seal_parts(
                {"kind": kind, "detail": detail[:300], "source": source}, ["detail"]
            ),
            username=raised_by or "alert-rules",
        )
        return alert, True
    raise RuntimeError(f"could not raise or join the alert {dedupe_key}")


def alert_raise(
    *,
    elder: Elder,
    kind: str,
    detail: str,
    source: str,
    actor: Actor,
    dedupe_key: str | None = None,
) -> Alert:
    """Raise an alert for an elder from another part of the platform (a caregiver who finds
    the elder unwell at a visit: ``kind="found_unwell"``, ``source="visit"``). Repeated calls
    with the same ``dedupe_key`` while the alert is active join it. The caller has checked
    that the actor serves this elder; actors with a division scope must cover the elder."""
    require_perm(actor, Permission.RAISE_ALERTS)
    errors: dict[str, str] = {}
    if kind not in AlertKind.values:
        errors["kind"] = _("Unknown alert kind.")
    if source not in AlertSource.values:
        errors["source"] = _("Unknown alert source.")
    if not (detail or "").strip():
        errors["detail"] = _("Say what happened.")
    if errors:
        raise ValidationError(errors)
    if actor.scope.division_prefix is not None and not actor.scope.covers_division_code(
        elder.division_code
    ):
        raise PermissionDenied(_("This elder lies outside your jurisdiction."))
    now = clock.now()
    key = dedupe_key or f"{source}:{elder.external_id}:{kind}"
    with transaction.atomic():
        alert, _created = alert_raise_or_join(
            elder=elder,
            kind=kind,
            detail=detail.strip(),
            source=source,
            dedupe_key=key,
            at=now,
            now=now,
            raised_by=username_of(actor),
        )
    return alert
