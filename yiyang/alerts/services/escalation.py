"""Escalation of the alerts nobody acknowledged in time."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.alerts import bus
from yiyang.alerts.choices import ActionKind, AlertStatus, RecipientKind
from yiyang.alerts.models import Alert, AlertAction
from yiyang.alerts.services.notifications import alert_message, notify
from yiyang.alerts.services.raising import ack_deadline
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.devices import clock


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
                tier=next_tier, escalate_at=ack_deadline(now), escalated_at=now, updated_at=now
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
            notify(
                alert, RecipientKind.TIER, tiers[next_tier], None, alert_message(alert, note), now
            )
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
