"""Reads of the alert centre, each scoped to the actor's jurisdiction (the elder's
division). Provider roles hold no alert permission at all."""

from __future__ import annotations

import datetime
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from yiyang.alerts import rules
from yiyang.alerts.choices import ACTIVE_STATUSES, THRESHOLD_LABELS, AlertStatus, Outcome
from yiyang.alerts.filtersets import AlertFilterSet, NotificationFilterSet
from yiyang.alerts.models import (
    Alert,
    AlertAction,
    AlertChange,
    ContactEmail,
    ElderAlertSettings,
    Notification,
)
from yiyang.core.lookups import get_or_404
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.devices import clock
from yiyang.elders.models import Elder, ElderContact
from yiyang.elders.selectors import elder_get_for_actor


def alert_scoped(*, actor: Actor) -> QuerySet[Alert]:
    require_perm(actor, Permission.VIEW_ALERTS)
    return actor.scope.apply(
        Alert.objects.select_related("elder", "device", "acknowledged_by", "resolved_by"),
        division_code_field="division_code",
    )


def alert_list(*, actor: Actor, filters: Any = None) -> QuerySet[Alert]:
    return AlertFilterSet(filters or {}, queryset=alert_scoped(actor=actor)).qs


def alert_queue(*, actor: Actor) -> QuerySet[Alert]:
    """Active alerts: open before acknowledged, then by priority and age."""
    return (
        alert_scoped(actor=actor)
        .filter(status__in=ACTIVE_STATUSES)
        .order_by("-status", "priority", "raised_at", "id")
    )


def alert_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Alert:
    return get_or_404(alert_scoped(actor=actor), external_id=external_id)


def alert_actions(*, alert: Alert) -> QuerySet[AlertAction]:
    return alert.actions.select_related("contact")


def alert_changes_after(*, actor: Actor, after_id: int) -> list[dict[str, Any]]:
    """The change feed in the actor's scope after ``after_id`` (the console's stream)."""
    require_perm(actor, Permission.VIEW_ALERTS)
    rows = (
        actor.scope.apply(
            AlertChange.objects.filter(id__gt=after_id), division_code_field="division_code"
        )
        .select_related("alert")
        .order_by("id")[:200]
    )
    return [
        {
            "id": c.id,
            "alert": str(c.alert.external_id),
            "change": c.change,
            "priority": c.alert.priority,
        }
        for c in rows
    ]


def notification_list(*, actor: Actor, filters: Any = None) -> QuerySet[Notification]:
    require_perm(actor, Permission.VIEW_NOTIFICATIONS)
    queryset = actor.scope.apply(
        Notification.objects.select_related("alert__elder").prefetch_related("attempt_log"),
        division_code_field="division_code",
    )
    return NotificationFilterSet(filters or {}, queryset=queryset).qs


@dataclass
class Period:
    label: str
    count: int = 0
    answered: int = 0
    within_target: int = 0  # answered within 60 s (TSA: 97.5%)
    within_limit: int = 0  # answered within 180 s (TSA: 99%)
    # Technical alerts that resolved themselves before anyone answered: not calls, so they
    # count neither for nor against the answer targets.
    auto_resolved: int = 0
    ack_seconds: list[float] = field(default_factory=list)
    resolve_seconds: list[float] = field(default_factory=list)

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.count if self.count else None

    @property
    def share_within_limit(self) -> float | None:
        return self.within_limit / self.count if self.count else None

    @property
    def percent_within_target(self) -> float | None:
        share = self.share_within_target
        return None if share is None else 100 * share

    @property
    def percent_within_limit(self) -> float | None:
        share = self.share_within_limit
        return None if share is None else 100 * share

    @property
    def median_ack(self) -> float | None:
        return statistics.median(self.ack_seconds) if self.ack_seconds else None

    @property
    def median_resolve(self) -> float | None:
        return statistics.median(self.resolve_seconds) if self.resolve_seconds else None

    @property
    def p90_ack(self) -> float | None:
        if not self.ack_seconds:
            return None
        ordered = sorted(self.ack_seconds)
        return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


@dataclass
class AlertStats:
    open: int
    acknowledged: int
    oldest_open_seconds: float | None
    today: Period
    months: list[Period]
    answer_target_seconds: int
    answer_limit_seconds: int


def alert_stats(
    *, actor: Actor, now: datetime.datetime | None = None, months: int = 12
) -> AlertStats:
    """Queue length; time to acknowledge (answer) against the 60 s and 180 s targets (TSA:
    97.5% answered within 60 s, 99% within 180 s) and time to resolve, today and by month.
    An alert not answered (yet) counts as missing both targets."""
    require_perm(actor, Permission.VIEW_ALERT_STATS)
    now = now or clock.now()
    answer, limit = settings.ALERT_ANSWER_TARGET_SECONDS, settings.ALERT_ANSWER_LIMIT_SECONDS
    scoped = actor.scope.apply(Alert.objects.all(), division_code_field="division_code")
    queue = scoped.filter(status__in=ACTIVE_STATUSES).values_list("status", "raised_at")
    open_at = [at for status, at in queue if status == AlertStatus.OPEN]
    acknowledged = sum(1 for status, _ in queue if status == AlertStatus.ACKNOWLEDGED)
    local_now = now.astimezone(ZoneInfo(str(settings.TIME_ZONE)))
    start = (
        local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        - datetime.timedelta(days=31 * (months - 1))
    ).replace(day=1)
    today_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    by_month: dict[str, Period] = defaultdict(lambda: Period(""))
    today = Period("today")
    rows = scoped.filter(raised_at__gte=start).values_list(
        "raised_at", "acknowledged_at", "resolved_at", "outcome"
    )
    for raised, acked, resolved, outcome in rows:
        local = raised.astimezone(local_now.tzinfo)
        periods = [by_month[local.strftime("%Y-%m")]]
        if local >= today_start:
            periods.append(today)
        if outcome == Outcome.AUTO_RESOLVED and acked is None:
            for period in periods:
                period.auto_resolved += 1
            continue
        ack_s = (acked - raised).total_seconds() if acked else None
        res_s = (resolved - raised).total_seconds() if resolved else None
        for period in periods:
            period.count += 1
            if ack_s is not None:
                period.answered += 1
                period.ack_seconds.append(ack_s)
                period.within_target += ack_s <= answer
                period.within_limit += ack_s <= limit
            if res_s is not None:
                period.resolve_seconds.append(res_s)
    ordered = []
    for label in sorted(by_month, reverse=True):
        by_month[label].label = label
        ordered.append(by_month[label])
    return AlertStats(
        open=len(open_at),
        acknowledged=acknowledged,
        oldest_open_seconds=(now - min(open_at)).total_seconds() if open_at else None,
        today=today,
        months=ordered,
        answer_target_seconds=answer,
        answer_limit_seconds=limit,
    )


# --------------------------------------------------------------------------------------------
# An elder's alert settings


def elder_for_alert_settings(*, actor: Actor, external_id: uuid.UUID | str) -> Elder:
    """The elder whose alert settings are shown, in the actor's scope (404 otherwise)."""
    require_perm(actor, Permission.VIEW_ALERTS)
    return elder_get_for_actor(actor=actor, external_id=external_id)


@dataclass
class ThresholdRow:
    name: str
    label: Any
    unit: Any
    default: int  # the city's value (platform default or the city's own)
    override: int | None  # the elder's own value, if any
    effective: int  # what the rules use
    low: int  # the plausible range an override must lie in
    high: int


def elder_thresholds(*, actor: Actor, elder: Elder) -> list[ThresholdRow]:
    """Each overridable threshold for this elder: the city default, the elder's override
    and the value the rules use."""
    require_perm(actor, Permission.VIEW_ALERTS)
    overrides = ElderAlertSettings.objects.filter(elder=elder).first()
    defaults = rules.thresholds(elder.division_code, None)
    effective = rules.thresholds(elder.division_code, overrides)
    return [
        ThresholdRow(
            name=name,
            label=THRESHOLD_LABELS[name][0],
            unit=THRESHOLD_LABELS[name][1],
            default=defaults[name],
            override=getattr(overrides, name) if overrides is not None else None,
            effective=effective[name],
            low=low,
            high=high,
        )
        for name, (low, high) in rules.THRESHOLD_RANGES.items()
    ]


def elder_thresholds_history(*, actor: Actor, elder: Elder) -> QuerySet[AuditEvent]:
    """Who changed the elder's thresholds, when, from what to what (newest first)."""
    require_perm(actor, Permission.VIEW_ALERTS)
    row = ElderAlertSettings.objects.filter(elder=elder).only("external_id").first()
    if row is None:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(
        object_type=ElderAlertSettings._meta.label_lower, object_id=str(row.external_id)
    ).order_by("-at", "-id")


@dataclass
class ContactAddress:
    contact: ElderContact
    email_masked: str | None


def elder_contact_emails(*, actor: Actor, elder: Elder) -> list[ContactAddress]:
    """The elder's active contacts in calling order with their (masked) notification e-mail."""
    require_perm(actor, Permission.VIEW_ALERTS)
    contacts = list(elder.contacts.filter(is_active=True))
    emails = dict(
        ContactEmail.objects.filter(contact__in=contacts).values_list("contact_id", "email_masked")
    )
    return [ContactAddress(contact, emails.get(contact.pk)) for contact in contacts]


def elder_contact_for_settings(*, elder: Elder, external_id: uuid.UUID | str) -> ElderContact:
    """One active contact of the elder (404 otherwise, also for a malformed id)."""
    return get_or_404(elder.contacts.all(), external_id=external_id, is_active=True)
