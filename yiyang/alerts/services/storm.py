"""Raising many alerts at once (a storm: thousands of pendants alarm after a power cut)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import F

from yiyang.alerts import bus
from yiyang.alerts.choices import ACTIVE_STATUSES, PRIORITY_OF, AlertSource, Priority
from yiyang.alerts.models import Alert
from yiyang.alerts.services.notifications import Labels, notify_on_raise_many
from yiyang.alerts.services.raising import ack_deadline
from yiyang.core import crypto
from yiyang.core.audit import audit_record_many
from yiyang.core.bulk import bulk_insert
from yiyang.core.choices import AuditAction
from yiyang.devices.models import Device
from yiyang.elders.models import Elder


@dataclass
class RaiseRequest:
    """One alert a batch calls for, raised or joined by :func:`alerts_raise_many`."""

    elder: Elder
    device: Device | None
    kind: str
    detail: str
    dedupe_key: str
    at: datetime.datetime
    source: str = AlertSource.DEVICE


def alerts_raise_many(*, requests: list[RaiseRequest], now: datetime.datetime) -> list[Alert]:
    """Raise or join the alerts of a batch together, in a few statements whatever their
    number (inside the caller's transaction). Requests with one incident key join one
    alert. Exact under concurrency: the partial unique index on the active alert's key
    decides, as in :func:`alert_raise_or_join`; a key another process raised just now (the
    insert skipped it) is joined instead. Keys are handled in sorted order, so two gateways
    lock rows in the same order and never deadlock. Returns the alerts newly raised."""
    by_key: dict[str, list[RaiseRequest]] = {}
    for request in requests:
        by_key.setdefault(request.dedupe_key[:120], []).append(request)
    pending = sorted(by_key)
    created: list[Alert] = []
    for _attempt in range(3):
        if not pending:
            break
        joined = _join_active(pending, by_key, now)
        fresh = [key for key in pending if key not in joined]
        mine = _insert_alerts(fresh, by_key, now)
        created += mine
        ours = {a.dedupe_key for a in mine}
        pending = [key for key in fresh if key not in ours]
    else:
        if pending:
            raise RuntimeError(f"could not raise or join the alerts {pending[:3]}")
    if created:
        _after_raise(created, now)
    return created


def _join_active(
    keys: list[str], by_key: dict[str, list[RaiseRequest]], now: datetime.datetime
) -> set[str]:
    active = list(
        Alert.objects.select_for_update()
        .filter(dedupe_key__in=keys, status__in=ACTIVE_STATUSES)
        .order_by("dedupe_key")
    )
    for alert in active:
        items = by_key[alert.dedupe_key]
        Alert.objects.filter(pk=alert.pk).update(
            event_count=F("event_count") + len(items),
            last_event_at=max(r.at for r in items),
            updated_at=now,
        )
    bus.changes_record(alerts=active, change="joined", at=now)
    return {alert.dedupe_key for alert in active}


def _insert_alerts(
    keys: list[str], by_key: dict[str, list[RaiseRequest]], now: datetime.datetime
) -> list[Alert]:
    """Insert one alert per key; a key whose active alert another process committed (or is
    committing) just now is skipped by the unique index. Returns the rows this call wrote."""
    if not keys:
        return []
    rows = []
    for key in keys:
        items = sorted(by_key[key], key=lambda r: r.at)
        first, elder = items[0], items[0].elder
        rows.append(
            Alert(
                elder=elder,
                division_code=elder.division_code,
                device=first.device,
                kind=first.kind,
                priority=PRIORITY_OF.get(first.kind, Priority.WARNING),
                source=first.source,
                detail=first.detail[:300],
                dedupe_key=key,
                event_count=len(items),
                first_event_at=first.at,
                last_event_at=items[-1].at,
                raised_at=now,
                escalate_at=ack_deadline(now),
                created_at=now,
                updated_at=now,
            )
        )
    # In key order (two gateways take the unique index's locks in one order); the rows
    # another process's active alert refused keep no primary key.
    bulk_insert(rows, ignore_conflicts=True, set_pks=True)
    return [row for row in rows if row.pk is not None]


def _after_raise(alerts: list[Alert], now: datetime.datetime) -> None:
    """What follows a raise, for many alerts in a few statements: the change feed, the
    audit log and the notifications."""
    labels = Labels()
    bus.changes_record(alerts=alerts, change="raised", at=now)
    audit_record_many(
        actor=None,
        action=AuditAction.CREATE,
        objects=alerts,
        division_codes=[a.division_code for a in alerts],
        # The detail is health data: sealed in the audit record as in the alert.
        changes=[
            crypto.seal_parts({"kind": a.kind, "detail": a.detail, "source": a.source}, ["detail"])
            for a in alerts
        ],
        object_reprs=[f"{labels.kind(a)} · {a.elder_id}" for a in alerts],  # as Alert.__str__
        username="alert-rules",
    )
    notify_on_raise_many(alerts, now, labels)
