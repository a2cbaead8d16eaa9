"""The clock the device and alert services read: the real one, unless a test sets another.

Services also take an explicit ``now`` argument; this module is what they fall back to, so
that a management-command loop and the tests that drive it agree on the time.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils import timezone

_source: Callable[[], datetime.datetime] | None = None


def now() -> datetime.datetime:
    return _source() if _source is not None else timezone.now()


@contextmanager
def use(source: Callable[[], datetime.datetime]) -> Iterator[None]:
    """Read the time from ``source`` inside the block (tests)."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous
