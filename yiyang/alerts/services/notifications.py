"""Notifications: queued per channel for an alert's first contact, the community's
workers and the escalation tiers (one by one, or for a storm's alerts in one insert),
and delivered with retries and back-off."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiyang.accounts.models import User
from yiyang.alerts.channels import CHANNELS
from yiyang.alerts.choices import NotificationStatus, Priority, RecipientKind
from yiyang.alerts.models import Alert, Notification, NotificationAttempt
from yiyang.core.bulk import insert_rows
from yiyang.core.permissions import Role
from yiyang.devices import clock
from yiyang.elders.models import ElderContact

MAX_NOTIFICATION_ATTEMPTS = 5

# The community's workers notified of an alert: the first ones by username, the same for one
# alert and for a storm of them.
WORKERS_NOTIFIED = 5


def alert_message(alert: Alert, text: str) -> str:
    return (
        f"[{alert.get_priority_display()}] {alert.get_kind_display()} · {alert.elder.name} · {text}"
    )


def _queue(
    *,
    alert: Alert | None,
    recipient_kind: str,
    recipient: str,
    message: str,
    now: datetime.datetime,
    division_code: str,
    contact: ElderContact | None = None,
) -> list[Notification]:
    """One notification per configured channel, due at ``now``."""
    return [
        Notification.objects.create(
            alert=alert,
            channel=channel,
            recipient_kind=recipient_kind,
            recipient=recipient[:200],
            contact=contact,
            message=message,
            next_attempt_at=now,
            division_code=division_code,
        )
        for channel in settings.ALERT_NOTIFICATION_CHANNELS
    ]


def notify(
    alert: Alert,
    kind: str,
    recipient: str,
    contact: ElderContact | None,
    message: str,
    now: datetime.datetime,
) -> None:
    _queue(
        alert=alert,
        recipient_kind=kind,
        recipient=recipient,
        contact=contact,
        message=message,
        now=now,
        division_code=alert.division_code,
    )


def notification_send(
    *, recipient_kind: str, recipient: str, message: str, division_code: str = ""
) -> list[Notification]:
    """A notice from another part of the platform (a late home-care visit to its provider)
    through the configured channels; delivered and retried like alert notifications."""
    if recipient_kind not in RecipientKind.values:
        raise ValidationError({"recipient_kind": _("Unknown kind of recipient.")})
    return _queue(
        alert=None,
        recipient_kind=recipient_kind,
        recipient=recipient,
        message=message,
        now=clock.now(),
        division_code=division_code,
    )


class Labels:
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
        """:func:`alert_message`, with the labels looked up once."""
        return f"[{self.priority(alert)}] {self.kind(alert)} · {alert.elder.name} · {text}"


def notify_on_raise_many(alerts: list[Alert], now: datetime.datetime, labels: Labels) -> None:
    """:func:`notify_on_raise` for many alerts: two reads and one insert in all."""
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
        .order_by("username")
        .values_list("username", "division__code")
    ):
        if len(workers.setdefault(code, [])) < WORKERS_NOTIFIED:
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


def notify_on_raise(alert: Alert, now: datetime.datetime) -> None:
    """Critical and warning alerts tell the first contact and the community's workers."""
    if alert.priority == Priority.TECHNICAL:
        return
    message = alert_message(alert, alert.detail)
    contact = alert.elder.contacts.filter(is_active=True).first()
    if contact is not None:
        label = f"{contact.name} ({contact.get_relation_display()}) {contact.phones_masked}"
        notify(alert, RecipientKind.CONTACT, label, contact, message, now)
    workers = (
        User.objects.filter(
            role=Role.COMMUNITY_WORKER, is_active=True, division__code=alert.division_code
        )
        .order_by("username")
        .values_list("username", flat=True)[:WORKERS_NOTIFIED]
    )
    for username in workers:
        notify(alert, RecipientKind.COMMUNITY, username, None, message, now)


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
