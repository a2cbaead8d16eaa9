"""The live console's change feed.

Every alert change is written to :class:`AlertChange` inside the service's transaction (so
the feed never shows an uncommitted change and never misses a committed one). The console's
event stream reads the feed by polling the table (the embedded default, several processes
share it through the database) or, with ``ALERT_EVENT_BUS=redis``, is woken by Redis pub/sub
(published after commit) and then reads the same table, so both modes deliver the same
changes in the same order.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction

from yiyang.alerts.models import AlertChange
from yiyang.core.bulk import insert_rows

logger = logging.getLogger(__name__)
CHANNEL = "yiyang:alerts"


def change_record(*, alert: Any, change: str, at: datetime.datetime) -> None:
    AlertChange.objects.create(alert=alert, division_code=alert.division_code, change=change, at=at)
    if settings.ALERT_EVENT_BUS == "redis":
        transaction.on_commit(_publish)


def changes_record(*, alerts: list[Any], change: str, at: datetime.datetime) -> None:
    """:func:`change_record` for many alerts: one insert, one wake-up."""
    if not alerts:
        return
    insert_rows(
        AlertChange,
        ("alert_id", "division_code", "change", "at"),
        [(a.pk, a.division_code, change, at) for a in alerts],
    )
    if settings.ALERT_EVENT_BUS == "redis":
        transaction.on_commit(_publish)


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(str(settings.REDIS_URL), socket_timeout=5)


def _publish() -> None:
    try:
        _redis().publish(CHANNEL, b"1")
    except Exception:  # a missed wake-up costs at most one poll interval
        logger.warning("redis publish failed", exc_info=True)


def latest_change_id() -> int:
    last = AlertChange.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def wait_for_changes(*, poll_seconds: float = 0.25, deadline: float) -> Iterator[None]:
    """Yield whenever there may be new changes (or every poll interval), until the deadline."""
    if settings.ALERT_EVENT_BUS == "redis":
        try:
            pubsub = _redis().pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL)
        except Exception:
            logger.warning("redis unavailable; polling the database", exc_info=True)
        else:
            try:
                while time.monotonic() < deadline:
                    # A timeout still yields: the table is the truth, Redis only wakes us.
                    pubsub.get_message(timeout=min(5.0, max(deadline - time.monotonic(), 0)))
                    yield
            finally:
                pubsub.close()
            return
    while time.monotonic() < deadline:
        time.sleep(poll_seconds)
        yield
