"""Notification channels: one class per way of reaching people, chosen by name in settings
(``ALERT_NOTIFICATION_CHANNELS``). A channel delivers one notification and says whether it
went out; the alert monitor records every attempt and retries failures.

Built here: ``outbox`` (in-app: the notification is kept for the outbox page, which is what
the demo shows) and ``log`` (the server log). An SMS gateway or e-mail is a new class
registered the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar

logger = logging.getLogger("yiyang.alerts.notifications")


@dataclass(frozen=True)
class Delivery:
    ok: bool
    detail: str = ""


class Channel:
    name: ClassVar[str]

    def deliver(self, notification: Any) -> Delivery:  # pragma: no cover - abstract
        raise NotImplementedError


CHANNELS: dict[str, Channel] = {}


def register(cls: type[Channel]) -> type[Channel]:
    CHANNELS[cls.name] = cls()
    return cls


@register
class OutboxChannel(Channel):
    """In-app: the message waits in the outbox page for the recipient."""

    name = "outbox"

    def deliver(self, notification: Any) -> Delivery:
        return Delivery(True, "in the outbox")


@register
class LogChannel(Channel):
    name = "log"

    def deliver(self, notification: Any) -> Delivery:
        logger.warning("notification to %s: %s", notification.recipient, notification.message)
        return Delivery(True, "written to the log")
