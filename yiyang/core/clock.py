"""The platform's clock: what services take as "now".

Production reads the wall clock (``timezone.now``). A caller that replays the past (the
demo's month of history) sets the clock with :func:`clock_at`, so that the services it calls
stamp their events, timestamps and audit rows with the moment being replayed, and check
their rules ("not in the future", "an order cannot start in the past") against it. The clock
is a context variable: setting it in one thread or task never moves another's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.utils import timezone

_set_at: ContextVar[datetime.datetime | None] = ContextVar("yiyang_clock", default=None)


def now() -> datetime.datetime:
    """The current moment: the wall clock, unless a replay has set the clock."""
    at = _set_at.get()
    return timezone.now() if at is None else at


def localdate() -> datetime.date:
    """Today in the platform's time zone, by :func:`now`."""
    return timezone.localdate(now())


@contextmanager
def clock_at(at: datetime.datetime) -> Iterator[None]:
    """Run the block with the clock standing at ``at`` (an aware datetime)."""
    if timezone.is_naive(at):
        raise ValueError("the clock takes an aware datetime")
    token = _set_at.set(at)
    try:
        yield
    finally:
        _set_at.reset(token)


class ClockDateTimeField(models.DateTimeField):
    """A ``DateTimeField`` whose ``auto_now``/``auto_now_add`` read :func:`now`, so that a
    replay stamps rows with its moment. Migrations see a plain ``DateTimeField`` (the column
    and its behaviour outside a replay are the same)."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            value = now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
