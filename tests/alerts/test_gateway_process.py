"""The gateway process without a broker: its default client id (one per gateway process and
deployment, the same again after a restart) and what it makes of a broker that takes it
back without its session."""

from __future__ import annotations

import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from paho.mqtt.client import ConnectFlags

from yiyang.alerts import gateway
from yiyang.alerts.gateway import Gateway
from yiyang.devices.models import GatewayError


@pytest.fixture
def locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The slots' lock files in a directory of the test's own; every lock released after."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    held: list[Any] = []
    monkeypatch.setattr(gateway, "_held_locks", held)
    yield held
    for handle in held:
        handle.close()


def test_the_default_client_id_is_one_per_process_and_the_same_after_a_restart(
    locks: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32]
    first = gateway.default_client_id()
    second = gateway.default_client_id()  # a second gateway on the same host
    assert re.fullmatch(rf"yiyang-{re.escape(host)}-[0-9a-f]{{6}}-1", first)
    assert second == first[:-1] + "2"
    locks.pop(0).close()  # the first gateway stops; its restart resumes its session
    assert gateway.default_client_id() == first
    # Another deployment (another database) on the same broker never shares a session.
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", "another-deployment")
    other = gateway.default_client_id()
    assert other.endswith("-1") and other[:-2] != first[:-2]


def connect(gw: Gateway, *, session_present: bool) -> None:
    client = SimpleNamespace(subscribe=lambda *args, **kwargs: None)
    gw._on_connect(client, None, ConnectFlags(session_present=session_present), None, None)


@pytest.mark.django_db
def test_a_reconnection_without_its_session_is_kept_in_the_history() -> None:
    gw = Gateway(client_id="gw-session", batch_size=10, batch_ms=10, url="mqtt://127.0.0.1:1")
    connect(gw, session_present=False)  # the first connection of a new session: normal
    connect(gw, session_present=True)  # the broker kept the session across a restart
    assert gw.unreported == []
    connect(gw, session_present=False)  # it came back without it: its queue is gone
    gw._beat()
    (row,) = GatewayError.objects.all()
    assert row.error.startswith("session lost: the broker came back without this gateway's")
    assert row.cleared_at == row.started_at
    assert gw.last_error == ""  # nothing stands: the gateway is connected and subscribed
