"""The alert monitor's pass and its housekeeping."""

from __future__ import annotations

import datetime

from yiyang.alerts.models import AlertChange
from yiyang.alerts.services.escalation import alerts_escalate
from yiyang.alerts.services.notifications import notifications_deliver
from yiyang.alerts.services.technical import technical_alerts_autoresolve
from yiyang.alerts.services.time_rules import time_rules_apply
from yiyang.devices import clock
from yiyang.devices.services import rejected_messages_prune


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
