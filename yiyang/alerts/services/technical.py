"""Technical alerts that close themselves when their cause went away."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils.translation import gettext as _

from yiyang.alerts import bus, rules
from yiyang.alerts.choices import ACTIVE_STATUSES, AlertKind, AlertStatus, Outcome
from yiyang.alerts.models import Alert
from yiyang.alerts.services.elder_settings import limits_by_elder
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.devices import clock
from yiyang.devices.models import Rejection

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
    limits = limits_by_elder({a.elder.pk: a.elder for a in active})
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
