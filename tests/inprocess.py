"""Calling the WSGI application in process (schemathesis does) inside a test's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core import signals
from django.db import close_old_connections


@contextmanager
def in_process_requests() -> Iterator[None]:
    """Like Django's test client: keep the test's connection (and transaction) open across
    in-process WSGI requests instead of closing it at the start and end of each."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
