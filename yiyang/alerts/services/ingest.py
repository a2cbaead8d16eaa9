"""Ingestion: store the device messages and apply the rules in one transaction."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

from django.db import InterfaceError, OperationalError, transaction
from django.utils.translation import gettext as _

from yiyang.alerts import rules
from yiyang.alerts.choices import AlertKind
from yiyang.alerts.models import ElderAlertSettings, VitalsBreach
from yiyang.alerts.services.storm import RaiseRequest, alerts_raise_many
from yiyang.alerts.subjects import subject_from_ref
from yiyang.devices import clock
from yiyang.devices.choices import EventType, RejectReason
from yiyang.devices.models import Device
from yiyang.devices.services import (
    Accepted,
    Inbound,
    Stored,
    device_messages_reject,
    device_messages_store,
    device_state_write,
)
from yiyang.elders.models import Elder

logger = logging.getLogger(__name__)


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
                RaiseRequest(
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


def _event_rule_requests(events: list[Accepted], now: datetime.datetime) -> list[RaiseRequest]:
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
            RaiseRequest(
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
