"""The alerts app owns the emergency alert centre: turning device events and silences into
alerts (the rules), grouping repeated events of one incident, the lifecycle (open ->
acknowledged -> actions -> resolved -> reviewed), escalation when nobody acknowledges in
time, notifications through pluggable channels, and the ingestion entry of device messages
(:func:`device_messages_ingest`, used by the MQTT gateway and the HTTP callback alike), which
stores events through the devices app and applies the rules in the same transaction.

Time comes in as ``now`` (default: :mod:`yiyang.devices.clock`), so tests drive escalation.
Escalation and notification work is claimed with conditional UPDATEs: several monitor
processes never escalate or deliver the same thing twice, and all state is in the database.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Max, Q
from django.utils.translation import gettext as _

from yiyang.accounts.models import User
from yiyang.alerts import bus, rules
from yiyang.alerts.channels import CHANNELS, mask_email
from yiyang.alerts.choices import (
    ACTIVE_STATUSES,
    OPERATOR_ACTIONS,
    OPERATOR_OUTCOMES,
    PRIORITY_OF,
    ActionKind,
    ActionResult,
    AlertKind,
    AlertSource,
    AlertStatus,
    NotificationStatus,
    Outcome,
    Priority,
    RecipientKind,
)
from yiyang.alerts.models import (
    Alert,
    AlertAction,
    AlertChange,
    ContactEmail,
    ElderAlertSettings,
    Notification,
    NotificationAttempt,
    VitalsBreach,
)
from yiyang.alerts.subjects import subject_from_ref
from yiyang.core import crypto
from yiyang.core.audit import audit_record, audit_record_many
from yiyang.core.bulk import bulk_insert, insert_rows
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, Role, actor_user, has_perm, require_perm
from yiyang.devices import clock
from yiyang.devices.choices import DeviceKind, EventType, RejectReason
from yiyang.devices.models import Device, Rejection
from yiyang.devices.services import (
    Accepted,
    Inbound,
    Stored,
    device_messages_reject,
    device_messages_store,
    device_state_write,
    rejected_messages_prune,
)
from yiyang.elders.models import Elder, ElderContact

logger = logging.getLogger(__name__)
MAX_NOTIFICATION_ATTEMPTS = 5

# --------------------------------------------------------------------------------------------
# Raising and joining


def _username(actor: Any) -> str:
    return str(getattr(actor, "username", "") or "")[:150]


def _ack_deadline(at: datetime.datetime) -> datetime.datetime:
    return at + datetime.timedelta(seconds=settings.ALERT_ACK_TIMEOUT_SECONDS)


def _raise_or_join(
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
                    escalate_at=_ack_deadline(now),
                )
        except IntegrityError:
            continue  # another process raised it just now: join theirs
        bus.change_record(alert=alert, change="raised", at=now)
        _notify_on_raise(alert, now)
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
        alert, _created = _raise_or_join(
            elder=elder,
            kind=kind,
            detail=detail.strip(),
            source=source,
            dedupe_key=key,
            at=now,
            now=now,
            raised_by=_username(actor),
        )
    return alert


# --------------------------------------------------------------------------------------------
# Ingestion: store the device messages and apply the rules in one transaction


def device_messages_ingest(
    *, messages: Sequence[Inbound], now: datetime.datetime | None = None
) -> Stored:
    """Store a batch of device messages and raise the alerts they call for, atomically.
    Callers acknowledge the messages only after this returns.

    A database that is away (OperationalError, InterfaceError) fails the whole call: retry
    it. Anything else that fails a batch (a bug, a value no validation foresaw) is found by
    halving the batch: the good halves are stored, and the one message that fails alone is
    stored as a rejection (``unstorable``) with its bytes, so that it is acknowledged and
    never retried forever. A poisoned batch of n costs about log2(n) extra transactions,
    never one per message."""
    now = now or clock.now()
    try:
        return _ingest_batch(messages, now)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        if len(messages) == 1:
            logger.exception("a device message could not be stored; kept as a rejection")
            outcomes = device_messages_reject(
                messages=messages,
                reason=RejectReason.UNSTORABLE,
                detail=f"{type(exc).__name__}: {exc}",
                now=now,
            )
            return Stored(outcomes=outcomes)
        logger.warning("a batch of %d failed (%s); halving it", len(messages), exc)
    half = len(messages) // 2
    first = device_messages_ingest(messages=messages[:half], now=now)
    second = device_messages_ingest(messages=messages[half:], now=now)
    return Stored(
        outcomes=first.outcomes + second.outcomes,
        events=first.events + second.events,
        bad_streams=first.bad_streams + second.bad_streams,
    )


def _ingest_batch(messages: Sequence[Inbound], now: datetime.datetime) -> Stored:
    with transaction.atomic():
        stored = device_messages_store(messages=messages, now=now, write_state=False)
        requests = _event_rule_requests(stored.events, now)
        for device, reason, count in stored.bad_streams:
            if device.elder is None:
                continue
            requests.append(
                _Raise(
                    elder=device.elder,
                    device=device,
                    kind=AlertKind.BAD_STREAM,
                    detail=_("%(count)d messages rejected in 10 min (%(reason)s)")
                    % {"count": count, "reason": reason},
                    dedupe_key=f"device:{device.external_id}:bad_stream",
                    at=now,
                )
            )
        alerts_raise_many(requests=requests, now=now)
        # Last: the devices' rows stay locked only until the commit, so a batch of telemetry
        # holds up an alarm batch touching the same device for a moment at most.
        device_state_write(stored.state)
    return stored


def _limits_by_elder(elders: dict[int, Elder]) -> dict[int, dict[str, int]]:
    overrides = {s.elder_id: s for s in ElderAlertSettings.objects.filter(elder_id__in=elders)}
    return {
        pk: rules.thresholds(elder.division_code, overrides.get(pk)) for pk, elder in elders.items()
    }


def _event_limits(events: list[Accepted]) -> dict[int, dict[str, int]]:
    """Each elder's thresholds, computed once per community unless the elder has overrides."""
    divisions = {e.device.elder_id: e.device.elder_division_code for e in events}
    overrides = {s.elder_id: s for s in ElderAlertSettings.objects.filter(elder_id__in=divisions)}
    shared: dict[str, dict[str, int]] = {}
    limits: dict[int, dict[str, int]] = {}
    for elder_id, code in divisions.items():
        override = overrides.get(elder_id)
        if override is not None:
            limits[elder_id] = rules.thresholds(code, override)
        else:
            if code not in shared:
                shared[code] = rules.thresholds(code)
            limits[elder_id] = shared[code]
    return limits


def _event_rule_requests(events: list[Accepted], now: datetime.datetime) -> list[_Raise]:
    """The alerts a batch's events call for (to be raised or joined together)."""
    if not events:
        return []
    limits = _event_limits(events)
    events = sorted(events, key=lambda e: e.occurred_at)
    raised: list[tuple[Accepted, rules.Trigger]] = []
    for event in events:
        device = event.device
        trigger = rules.event_trigger(
            device_id=device.external_id,
            event_type=event.type,
            data=event.data,
            limits=limits[device.elder_id],
        )
        if trigger is None and event.type == EventType.LOCATION:
            home = (
                (float(device.elder_lat), float(device.elder_lng))
                if device.elder_lat is not None and device.elder_lng is not None
                else None
            )
            trigger = rules.safe_zone_trigger(
                elder_id=device.elder_external_id,
                home=home,
                lat=event.data["lat"],
                lng=event.data["lng"],
                limits=limits[device.elder_id],
            )
        if trigger is not None:
            raised.append((event, trigger))
    vitals = [e for e in events if e.type == EventType.VITALS]
    raised += _vitals_triggers(vitals, limits)
    # The device and elder rows come from the batch's own device lookup, not a reload: a
    # storm raises thousands at once.
    subjects: dict[int, tuple[Device, Elder | None]] = {}
    requests = []
    for event, trigger in raised:
        if event.device.pk not in subjects:
            subjects[event.device.pk] = subject_from_ref(event.device)
        subject, elder = subjects[event.device.pk]
        if elder is None:
            continue
        requests.append(
            _Raise(
                elder=elder,
                device=subject,
                kind=trigger.kind,
                detail=trigger.detail,
                dedupe_key=trigger.dedupe_key,
                at=event.occurred_at,
            )
        )
    return requests


def _vitals_triggers(
    events: list[Accepted], limits: dict[int, dict[str, int]]
) -> list[tuple[Accepted, rules.Trigger]]:
    """Out-of-range readings open a breach; an in-range one ends it; a breach lasting the
    sustained period raises an alert. Normal readings cost one DELETE per batch."""
    if not events:
        return []
    elder_ids = {e.device.elder_id for e in events}
    breaches = {
        (b.elder_id, b.metric): b for b in VitalsBreach.objects.filter(elder_id__in=elder_ids)
    }
    dirty: set[tuple[int, str]] = set()
    ended: list[int] = []
    triggered: list[tuple[Accepted, rules.Trigger]] = []
    for event in events:  # in order of time
        elder_id = event.device.elder_id
        for metric in ("heart_rate", "spo2"):
            value = event.data.get(metric)
            if value is None:
                continue
            key = (elder_id, metric)
            if not rules.vital_out_of_range(metric, value, limits[elder_id]):
                breach = breaches.pop(key, None)
                if breach is not None and breach.pk is not None:
                    ended.append(breach.pk)
                dirty.discard(key)
                continue
            breach = breaches.get(key) or VitalsBreach(
                elder_id=elder_id, metric=metric, since=event.occurred_at
            )
            breach.last_value, breach.last_at = value, event.occurred_at
            breaches[key] = breach
            dirty.add(key)
            trigger = rules.vitals_trigger(
                elder_id=event.device.elder_external_id,
                metric=metric,
                value=value,
                since=breach.since,
                at=event.occurred_at,
                limits=limits[elder_id],
            )
            if trigger is not None:
                triggered.append((event, trigger))
    if ended:
        VitalsBreach.objects.filter(pk__in=ended).delete()
    for key in dirty:
        breaches[key].save()
    return triggered


# --------------------------------------------------------------------------------------------
# Raising many alerts at once (a storm: thousands of pendants alarm after a power cut)


@dataclass
class _Raise:
    elder: Elder
    device: Device | None
    kind: str
    detail: str
    dedupe_key: str
    at: datetime.datetime
    source: str = AlertSource.DEVICE


def alerts_raise_many(*, requests: list[_Raise], now: datetime.datetime) -> list[Alert]:
    """Raise or join the alerts of a batch together, in a few statements whatever their
    number (inside the caller's transaction). Requests with one incident key join one
    alert. Exact under concurrency: the partial unique index on the active alert's key
    decides, as in :func:`_raise_or_join`; a key another process raised just now (the
    insert skipped it) is joined instead. Keys are handled in sorted order, so two gateways
    lock rows in the same order and never deadlock. Returns the alerts newly raised."""
    by_key: dict[str, list[_Raise]] = {}
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
    keys: list[str], by_key: dict[str, list[_Raise]], now: datetime.datetime
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
    keys: list[str], by_key: dict[str, list[_Raise]], now: datetime.datetime
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
                escalate_at=_ack_deadline(now),
                created_at=now,
                updated_at=now,
            )
        )
    # In key order (two gateways take the unique index's locks in one order); the rows
    # another process's active alert refused keep no primary key.
    bulk_insert(rows, ignore_conflicts=True, set_pks=True)
    return [row for row in rows if row.pk is not None]


class _Labels:
    """Display labels looked up once per batch (a storm's thousands of alerts share a few
    kinds and priorities: translating each again would cost more than storing it)."""

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}
        self.priorities: dict[int, str] = {}

    def kind(self, alert: Alert) -> str:
        if alert.kind not in self.kinds:
            self.kinds[alert.kind] = alert.get_kind_display()
        return self.kinds[alert.kind]

    def priority(self, alert: Alert) -> str:
        if alert.priority not in self.priorities:
            self.priorities[alert.priority] = str(alert.get_priority_display())
        return self.priorities[alert.priority]

    def message(self, alert: Alert, text: str) -> str:
        """:func:`_message`, with the labels looked up once."""
        return f"[{self.priority(alert)}] {self.kind(alert)} · {alert.elder.name} · {text}"


def _after_raise(alerts: list[Alert], now: datetime.datetime) -> None:
    """What follows a raise, for many alerts in a few statements: the change feed, the
    audit log and the notifications."""
    labels = _Labels()
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
    _notify_on_raise_many(alerts, now, labels)


# --------------------------------------------------------------------------------------------
# Time-based rules (the alert monitor runs these every few seconds)


def time_rules_apply(*, now: datetime.datetime | None = None) -> int:
    """Silent devices, no motion in daytime, doors open at night. Returns alerts raised."""
    now = now or clock.now()
    raised = 0
    bound = Device.objects.filter(elder__isnull=False).select_related("elder")
    silent_cut = now - datetime.timedelta(seconds=60)
    candidates = list(
        bound.filter(
            Q(last_seen_at__lt=silent_cut)
            | Q(last_seen_at__isnull=True)
            | Q(kind=DeviceKind.MOTION)
            | Q(door_open_since__isnull=False)
        )
    )
    elders = {d.elder.pk: d.elder for d in candidates if d.elder is not None}
    limits = _limits_by_elder(elders)
    bound_since = _bound_since([d.pk for d in candidates])
    for device in candidates:
        elder = device.elder
        if elder is None:
            continue
        lim = limits[elder.pk]
        started = bound_since.get(device.pk, device.created_at)
        triggers = [
            rules.silence_trigger(
                device_id=str(device.external_id),
                last_seen=device.last_seen_at or started,
                interval_seconds=device.heartbeat_interval_seconds,
                now=now,
                limits=lim,
            )
        ]
        if device.kind == DeviceKind.MOTION:
            triggers.append(
                rules.no_motion_trigger(
                    elder_id=str(elder.external_id),
                    last_motion=max(device.last_motion_at or started, started),
                    now=now,
                    limits=lim,
                )
            )
        if device.door_open_since is not None:
            triggers.append(
                rules.door_trigger(
                    device_id=str(device.external_id),
                    open_since=device.door_open_since,
                    now=now,
                    limits=lim,
                )
            )
        for trigger in triggers:
            if trigger is None:
                continue
            with transaction.atomic():
                _alert, created = _raise_or_join(
                    elder=elder,
                    kind=trigger.kind,
                    detail=trigger.detail,
                    source=AlertSource.MONITOR,
                    dedupe_key=trigger.dedupe_key,
                    at=now,
                    now=now,
                    device=device,
                    join=False,
                )
            raised += int(created)
    return raised


def _bound_since(device_ids: list[int]) -> dict[int, datetime.datetime]:
    from yiyang.devices.models import DeviceBinding

    return dict(
        DeviceBinding.objects.filter(device_id__in=device_ids, unbound_at__isnull=True).values_list(
            "device_id", "bound_at"
        )
    )


def alerts_escalate(*, now: datetime.datetime | None = None) -> int:
    """Escalate every open alert whose acknowledgement deadline passed to the next tier and
    notify it. Each alert is claimed with a conditional UPDATE on (status, tier, deadline):
    of several monitors, exactly one escalates it. Returns the number escalated."""
    now = now or clock.now()
    tiers = settings.ALERT_ESCALATION_TIERS or ["operators"]
    due = list(
        Alert.objects.filter(status=AlertStatus.OPEN, escalate_at__lte=now)
        .order_by("priority", "escalate_at")
        .values_list("pk", "tier", "escalate_at")[:500]
    )
    done = 0
    for pk, tier, deadline in due:
        next_tier = min(tier + 1, len(tiers) - 1)
        with transaction.atomic():
            claimed = Alert.objects.filter(
                pk=pk, status=AlertStatus.OPEN, tier=tier, escalate_at=deadline
            ).update(
                tier=next_tier, escalate_at=_ack_deadline(now), escalated_at=now, updated_at=now
            )
            if claimed != 1:
                continue
            alert = Alert.objects.select_related("elder").get(pk=pk)
            waited = int((now - alert.raised_at).total_seconds())
            note = _("Not acknowledged after %(seconds)d s: escalated to %(tier)s") % {
                "seconds": waited,
                "tier": tiers[next_tier],
            }
            AlertAction.objects.create(
                alert=alert,
                kind=ActionKind.ESCALATED,
                note=note,
                at=now,
                actor_username="alert-monitor",
            )
            _notify(alert, RecipientKind.TIER, tiers[next_tier], None, _message(alert, note), now)
            bus.change_record(alert=alert, change="escalated", at=now)
            audit_record(
                actor=None,
                action=AuditAction.UPDATE,
                obj=alert,
                division_code=alert.division_code,
                changes={"tier": [tier, next_tier]},
                username="alert-monitor",
            )
        done += 1
    return done


# --------------------------------------------------------------------------------------------
# The lifecycle


def _require_handle(actor: Actor, alert: Alert) -> None:
    require_perm(actor, Permission.HANDLE_ALERTS)
    if not actor.scope.covers(division_code=alert.division_code, organisation_id=None):
        raise PermissionDenied(_("This alert lies outside your jurisdiction."))


def _acknowledge(alert: Alert, actor: Actor, now: datetime.datetime) -> bool:
    """Open -> acknowledged, claimed conditionally (two operators clicking at once: one
    wins). Returns whether this call acknowledged it."""
    claimed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=actor_user(actor),
        escalate_at=None,
        updated_at=now,
    )
    alert.refresh_from_db()
    if claimed:
        bus.change_record(alert=alert, change="acknowledged", at=now)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=alert,
            division_code=alert.division_code,
            changes={"status": [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]},
        )
    return bool(claimed)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: Actor, now: datetime.datetime | None = None) -> Alert:
    """An operator takes the alert: its answer time stops and escalation ends."""
    _require_handle(actor, alert)
    if not _acknowledge(alert, actor, now or clock.now()):
        if alert.status == AlertStatus.ACKNOWLEDGED:
            who = alert.acknowledged_by.username if alert.acknowledged_by else ""
            raise ValidationError(
                {"status": _("Already acknowledged by %(user)s.") % {"user": who}}
            )
        raise ValidationError({"status": _("This alert is no longer open.")})
    return alert


@transaction.atomic
def alert_action_log(
    *,
    alert: Alert,
    actor: Actor,
    kind: str,
    result: str = "",
    contact: ElderContact | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> AlertAction:
    """Log a step taken (a call and its result, help sent, 120/119 called). An open alert
    is acknowledged by the same click."""
    _require_handle(actor, alert)
    now = now or clock.now()
    errors: dict[str, str] = {}
    if kind not in OPERATOR_ACTIONS:
        errors["kind"] = _("Choose an action.")
    if result and result not in ActionResult.values:
        errors["result"] = _("Choose a result.")
    if kind != ActionKind.NOTE and not result:
        errors["result"] = _("Say how the call or dispatch went.")
    if kind == ActionKind.NOTE and not note.strip():
        errors["note"] = _("Write the note.")
    if kind == ActionKind.CALLED_CONTACT and (
        contact is None or contact.elder_id != alert.elder_id
    ):
        errors["contact"] = _("Choose one of the elder's contacts.")
    if errors:
        raise ValidationError(errors)
    alert.refresh_from_db()
    if alert.status not in ACTIVE_STATUSES:
        raise ValidationError({"status": _("This alert is closed.")})
    if alert.status == AlertStatus.OPEN:
        _acknowledge(alert, actor, now)
    action = AlertAction.objects.create(
        alert=alert,
        kind=kind,
        result=result,
        contact=contact,
        note=note.strip()[:500],
        at=now,
        actor=actor_user(actor),
        actor_username=_username(actor),
    )
    bus.change_record(alert=alert, change="action", at=now)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=alert,
        division_code=alert.division_code,
        changes={"action": kind, "result": result},
    )
    return action


@transaction.atomic
def alert_resolve(
    *,
    alert: Alert,
    actor: Actor,
    outcome: str,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Alert:
    """Close the alert with its outcome. An open alert is acknowledged first."""
    _require_handle(actor, alert)
    now = now or clock.now()
    if outcome not in OPERATOR_OUTCOMES:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    alert.refresh_from_db()
    if alert.status not in ACTIVE_STATUSES:
        raise ValidationError({"status": _("This alert is closed.")})
    if alert.status == AlertStatus.OPEN:
        _acknowledge(alert, actor, now)
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.RESOLVED,
        resolved_at=now,
        resolved_by=actor_user(actor),
        outcome=outcome,
        outcome_note=note.strip()[:500],
        escalate_at=None,
        updated_at=now,
    )
    alert.refresh_from_db()
    bus.change_record(alert=alert, change="resolved", at=now)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=alert,
        division_code=alert.division_code,
        changes={"status": [AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED], "outcome": outcome},
    )
    return alert


@transaction.atomic
def alert_review(
    *, alert: Alert, actor: Actor, note: str = "", now: datetime.datetime | None = None
) -> Alert:
    """A supervisor's review of a resolved alert (call audit)."""
    require_perm(actor, Permission.REVIEW_ALERTS)
    if not actor.scope.covers(division_code=alert.division_code, organisation_id=None):
        raise PermissionDenied(_("This alert lies outside your jurisdiction."))
    now = now or clock.now()
    claimed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.RESOLVED).update(
        status=AlertStatus.REVIEWED,
        reviewed_at=now,
        reviewed_by=actor_user(actor),
        review_note=note.strip()[:500],
        updated_at=now,
    )
    if not claimed:
        raise ValidationError({"status": _("Only a resolved alert can be reviewed.")})
    alert.refresh_from_db()
    bus.change_record(alert=alert, change="reviewed", at=now)
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW,
        obj=alert,
        division_code=alert.division_code,
        changes={"status": [AlertStatus.RESOLVED, AlertStatus.REVIEWED]},
    )
    return alert


# --------------------------------------------------------------------------------------------
# An elder's alert settings: thresholds and the contacts' e-mail addresses


def _threshold_value(name: str, value: Any) -> int | str | None:
    """The override as a whole number, None to clear it, or the problem with it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return _("Give a whole number.")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            return _("Give a whole number.")
        value = int(text)
    if not isinstance(value, int):
        return _("Give a whole number.")
    low, high = rules.THRESHOLD_RANGES[name]
    if not low <= value <= high:
        return _("Between %(low)d and %(high)d.") % {"low": low, "high": high}
    return value


@transaction.atomic
def elder_alert_settings_set(*, actor: Actor, elder: Elder, **values: Any) -> ElderAlertSettings:
    """Set (a whole number) or clear (None) some of an elder's own thresholds; the others stay
    as they are. Each value must lie in its plausible range and the thresholds must make sense
    together with the city defaults that still apply (heart-rate lower limit below the upper,
    the day starting before it ends). Audited with each value before and after."""
    require_perm(actor, Permission.SET_ALERT_THRESHOLDS)
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise PermissionDenied(_("This elder lies outside your jurisdiction."))
    errors: dict[str, str] = {}
    cleaned: dict[str, int | None] = {}
    for name, value in values.items():
        if name not in rules.THRESHOLD_RANGES:
            errors[name] = _("Not a threshold that can be set per elder.")
            continue
        result = _threshold_value(name, value)
        if isinstance(result, str):
            errors[name] = result
        else:
            cleaned[name] = result
    if errors:
        raise ValidationError(errors)
    row, _created = ElderAlertSettings.objects.get_or_create(elder=elder)
    row = ElderAlertSettings.objects.select_for_update().get(pk=row.pk)
    before = {name: getattr(row, name) for name in rules.OVERRIDABLE}
    after = before | cleaned
    effective = rules.thresholds(elder.division_code, SimpleNamespace(**after))
    problems = rules.threshold_problems(effective, given=set(cleaned))
    if problems:
        raise ValidationError(problems)
    changes = {name: [before[name], after[name]] for name in cleaned if before[name] != after[name]}
    if not changes:
        return row
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=row,
        object_repr=elder.name,
        division_code=elder.division_code,
        changes=changes,
    )
    return row


@transaction.atomic
def contact_email_set(*, actor: Actor, contact: ElderContact, email: str) -> ContactEmail | None:
    """Give a family contact an e-mail address for notifications (empty: remove it). The
    address is encrypted at rest and shown masked; the change is in the elder's history."""
    elder = contact.elder
    require_perm(actor, Permission.MANAGE_ELDERS)
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise PermissionDenied(_("This elder lies outside your jurisdiction."))
    address = (email or "").strip()
    current = ContactEmail.objects.select_for_update().filter(contact=contact).first()
    before = current.email_masked if current is not None else None
    if not address:
        if current is None:
            return None
        current.delete()
        row = None
    else:
        try:
            validate_email(address)
            if len(address) > 254:
                raise ValidationError("too long")
        except ValidationError:
            raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
        row = current or ContactEmail(contact=contact)
        row.email_ciphertext = crypto.encrypt(address)
        row.email_masked = mask_email(address)[:120]
        row.save()
    after = row.email_masked if row is not None else None
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=elder,
        division_code=elder.division_code,
        changes={"contact_email": [before, after], "contact": contact.name},
    )
    return row


# --------------------------------------------------------------------------------------------
# Technical alerts that close themselves

SELF_RESOLVING = (AlertKind.DEVICE_SILENT, AlertKind.LOW_BATTERY, AlertKind.BAD_STREAM)


def _local_time(at: datetime.datetime) -> str:
    return rules._local(at).strftime("%m-%d %H:%M:%S")


def _cause_gone(
    alert: Alert,
    limits: dict[str, int],
    last_rejected: datetime.datetime | None,
    now: datetime.datetime,
) -> str | None:
    """Why the technical alert's cause went away (its outcome note), or None."""
    device = alert.device
    assert device is not None
    if device.elder_id != alert.elder_id:
        return _("The device no longer serves this elder (unbound).")
    if alert.kind == AlertKind.DEVICE_SILENT:
        allowed = device.heartbeat_interval_seconds * limits["missed_heartbeats"]
        seen = device.last_seen_at
        if seen is not None and (now - seen).total_seconds() < allowed:
            return _("The device was heard from again at %(at)s.") % {"at": _local_time(seen)}
        return None
    if alert.kind == AlertKind.LOW_BATTERY:
        battery, floor = device.battery_percent, limits["low_battery_percent"]
        if battery is not None and battery > floor:
            return _("The battery is back at %(percent)d%% (alert at %(floor)d%% or less).") % {
                "percent": battery,
                "floor": floor,
            }
        return None
    # A bad stream: quiet for the rejection window, and good messages since the last bad one.
    quiet = datetime.timedelta(seconds=settings.DEVICE_BAD_STREAM_QUIET_SECONDS)
    seen = device.last_seen_at
    if (
        last_rejected is not None
        and last_rejected <= now - quiet
        and seen is not None
        and seen > last_rejected
    ):
        return _(
            "No rejected message since %(at)s, and the device's messages are accepted again."
        ) % {"at": _local_time(last_rejected)}
    return None


def technical_alerts_autoresolve(*, now: datetime.datetime | None = None) -> int:
    """Resolve the technical alerts whose cause went away, with the outcome ``auto_resolved``
    and the reason: a silent device that spoke again, a battery charged above the alert
    level, a device that sends good data again (or was unbound from the elder). Each is
    claimed with a conditional UPDATE, so an operator resolving it at the same moment, or
    another monitor, never resolves it twice. They stay in the history for review."""
    now = now or clock.now()
    # Only alerts whose cause may have gone (the database narrows thousands of lasting
    # silences, say after a network outage, to those with news); the rest is decided below.
    lowest_battery_alarm = min(
        [settings.ALERT_THRESHOLDS["low_battery_percent"]]
        + [
            c["low_battery_percent"]
            for c in settings.ALERT_CITY_THRESHOLDS.values()
            if "low_battery_percent" in c
        ]
    )
    maybe_gone = (
        Q(device__elder__isnull=True)
        | ~Q(device__elder_id=F("elder_id"))
        | Q(kind=AlertKind.DEVICE_SILENT, device__last_seen_at__gte=F("raised_at"))
        | Q(kind=AlertKind.LOW_BATTERY, device__battery_percent__gt=lowest_battery_alarm)
        | Q(kind=AlertKind.BAD_STREAM, device__last_seen_at__gte=F("last_event_at"))
    )
    active = list(
        Alert.objects.filter(
            maybe_gone, status__in=ACTIVE_STATUSES, kind__in=SELF_RESOLVING, device__isnull=False
        )
        .select_related("device", "elder")
        .order_by("raised_at", "id")[:1000]
    )
    if not active:
        return 0
    limits = _limits_by_elder({a.elder.pk: a.elder for a in active})
    bad = [a.device_id for a in active if a.kind == AlertKind.BAD_STREAM]
    last_rejected = (
        dict(
            Rejection.objects.filter(device_id__in=bad)
            .values("device_id")
            .annotate(last=Max("last_at"))
            .values_list("device_id", "last")
        )
        if bad
        else {}
    )
    done = 0
    for alert in active:
        last_bad = last_rejected.get(alert.device_id) if alert.device_id is not None else None
        reason = _cause_gone(alert, limits[alert.elder.pk], last_bad, now)
        if reason is None:
            continue
        with transaction.atomic():
            claimed = Alert.objects.filter(pk=alert.pk, status__in=ACTIVE_STATUSES).update(
                status=AlertStatus.RESOLVED,
                resolved_at=now,
                outcome=Outcome.AUTO_RESOLVED,
                outcome_note=reason[:500],
                escalate_at=None,
                updated_at=now,
            )
            if not claimed:
                continue
            before = alert.status
            alert.refresh_from_db()
            bus.change_record(alert=alert, change="resolved", at=now)
            audit_record(
                actor=None,
                action=AuditAction.UPDATE,
                obj=alert,
                division_code=alert.division_code,
                changes={
                    "status": [before, AlertStatus.RESOLVED],
                    "outcome": Outcome.AUTO_RESOLVED,
                    "reason": reason,
                },
                username="alert-monitor",
            )
        done += 1
    return done


# --------------------------------------------------------------------------------------------
# Notifications


def _message(alert: Alert, text: str) -> str:
    return (
        f"[{alert.get_priority_display()}] {alert.get_kind_display()} · {alert.elder.name} · {text}"
    )


def _notify(
    alert: Alert,
    kind: str,
    recipient: str,
    contact: ElderContact | None,
    message: str,
    now: datetime.datetime,
) -> None:
    for channel in settings.ALERT_NOTIFICATION_CHANNELS:
        Notification.objects.create(
            alert=alert,
            channel=channel,
            recipient_kind=kind,
            recipient=recipient[:200],
            contact=contact,
            message=message,
            next_attempt_at=now,
            division_code=alert.division_code,
        )


def notification_send(
    *, recipient_kind: str, recipient: str, message: str, division_code: str = ""
) -> list[Notification]:
    """A notice from another part of the platform (a late home-care visit to its provider)
    through the configured channels; delivered and retried like alert notifications."""
    if recipient_kind not in RecipientKind.values:
        raise ValidationError({"recipient_kind": _("Unknown kind of recipient.")})
    now = clock.now()
    return [
        Notification.objects.create(
            alert=None,
            channel=channel,
            recipient_kind=recipient_kind,
            recipient=recipient[:200],
            message=message,
            next_attempt_at=now,
            division_code=division_code,
        )
        for channel in settings.ALERT_NOTIFICATION_CHANNELS
    ]


def _notify_on_raise_many(alerts: list[Alert], now: datetime.datetime, labels: _Labels) -> None:
    """:func:`_notify_on_raise` for many alerts: two reads and one insert in all."""
    alerts = [a for a in alerts if a.priority != Priority.TECHNICAL]
    if not alerts:
        return
    first_contact: dict[int, ElderContact] = {}
    for candidate in ElderContact.objects.filter(
        elder_id__in={a.elder_id for a in alerts}, is_active=True
    ).order_by("elder", "-is_first_to_call", "position", "id"):
        first_contact.setdefault(candidate.elder_id, candidate)
    workers: dict[str, list[str]] = {}
    for username, code in (
        User.objects.filter(
            role=Role.COMMUNITY_WORKER,
            is_active=True,
            division__code__in={a.division_code for a in alerts},
        )
        .order_by("id")
        .values_list("username", "division__code")
    ):
        if len(workers.setdefault(code, [])) < 5:
            workers[code].append(username)
    rows: list[tuple[Any, ...]] = []
    relations: dict[str, str] = {}
    channels = list(settings.ALERT_NOTIFICATION_CHANNELS)
    for alert in alerts:
        message = labels.message(alert, alert.detail)
        recipients: list[tuple[str, str, ElderContact | None]] = []
        contact = first_contact.get(alert.elder_id)
        if contact is not None:
            if contact.relation not in relations:
                relations[contact.relation] = contact.get_relation_display()
            relation = relations[contact.relation]
            label = f"{contact.name} ({relation}) {contact.phones_masked}"
            recipients.append((RecipientKind.CONTACT, label, contact))
        recipients += [
            (RecipientKind.COMMUNITY, u, None) for u in workers.get(alert.division_code, [])
        ]
        for kind, recipient, who in recipients:
            rows += [
                (
                    alert.pk,
                    channel,
                    kind,
                    recipient[:200],
                    who.pk if who else None,
                    message,
                    now,
                    alert.division_code,
                )
                for channel in channels
            ]
    insert_rows(
        Notification,
        (
            "alert_id",
            "channel",
            "recipient_kind",
            "recipient",
            "contact_id",
            "message",
            "next_attempt_at",
            "division_code",
        ),
        rows,
    )


def _notify_on_raise(alert: Alert, now: datetime.datetime) -> None:
    """Critical and warning alerts tell the first contact and the community's workers."""
    if alert.priority == Priority.TECHNICAL:
        return
    message = _message(alert, alert.detail)
    contact = alert.elder.contacts.filter(is_active=True).first()
    if contact is not None:
        label = f"{contact.name} ({contact.get_relation_display()}) {contact.phones_masked}"
        _notify(alert, RecipientKind.CONTACT, label, contact, message, now)
    workers = User.objects.filter(
        role=Role.COMMUNITY_WORKER, is_active=True, division__code=alert.division_code
    ).values_list("username", flat=True)[:5]
    for username in workers:
        _notify(alert, RecipientKind.COMMUNITY, username, None, message, now)


def notifications_deliver(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Send due notifications through their channels, recording each attempt; a failure is
    retried with back-off. Claimed by a conditional UPDATE. Returns the number sent."""
    now = now or clock.now()
    due = list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=now
        ).values_list("pk", "attempts")[:limit]
    )
    sent = 0
    for pk, attempts in due:
        backoff = datetime.timedelta(seconds=30 * 2**attempts)
        claimed = Notification.objects.filter(
            pk=pk, status=NotificationStatus.PENDING, attempts=attempts
        ).update(attempts=attempts + 1, next_attempt_at=now + backoff)
        if not claimed:
            continue
        notification = Notification.objects.select_related("alert__elder").get(pk=pk)
        channel = CHANNELS.get(notification.channel)
        try:
            if channel is None:
                raise LookupError(f"no channel {notification.channel!r}")
            delivery = channel.deliver(notification)
            ok, detail, retry = delivery.ok, delivery.detail, delivery.retry
        except Exception as exc:  # a channel's failure is recorded, never fatal
            ok, detail, retry = False, f"{type(exc).__name__}: {exc}", True
        NotificationAttempt.objects.create(
            notification=notification, at=now, ok=ok, detail=detail[:300]
        )
        if ok:
            notification.status, notification.sent_at = NotificationStatus.SENT, now
            sent += 1
        elif not retry or attempts + 1 >= MAX_NOTIFICATION_ATTEMPTS:
            # No address to send to, or refused for good: trying again changes nothing.
            notification.status = NotificationStatus.FAILED
        notification.save(update_fields=["status", "sent_at", "updated_at"])
    return sent


def housekeeping(*, now: datetime.datetime | None = None) -> None:
    """Drop change-feed rows nobody will read again (consoles reconnect within seconds)."""
    now = now or clock.now()
    AlertChange.objects.filter(at__lt=now - datetime.timedelta(hours=1)).delete()
    rejected_messages_prune(now=now)


def monitor_tick(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """One pass of the alert monitor: time-based rules, technical alerts whose cause went
    away, escalation, notifications."""
    now = now or clock.now()
    return {
        "raised": time_rules_apply(now=now),
        "auto_resolved": technical_alerts_autoresolve(now=now),
        "escalated": alerts_escalate(now=now),
        "notified": notifications_deliver(now=now),
    }


def can_handle(actor: Actor) -> bool:
    return has_perm(actor, Permission.HANDLE_ALERTS)
