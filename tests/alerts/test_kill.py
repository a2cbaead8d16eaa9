"""The kill-test suite, against the broker as shipped (deploy/mosquitto/mosquitto.conf on a
port of its own): a stream of SOS from many devices while the gateway is killed with -9 at
30 % and restarted, the broker restarted, the database away, poison mixed in. Each case
counts sent, broker-acknowledged, stored, duplicated and lost, and requires 0 lost and 0
duplicated.

``YIYANG_KILL_MESSAGES`` SOS per case (2,000 by default, to keep CI modest; the issue's
10,000: ``YIYANG_KILL_MESSAGES=10000``), ``YIYANG_KILL_DB_OUTAGE`` seconds of database
outage (10 by default in CI; 30 in the issue's run). Each case prints its counts as one
JSON line (``-s`` shows them)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.live import (
    Broker,
    LiveDb,
    migrated_template,
    publish,
    publisher,
    start_gateway,
    wait_connected,
    wait_for,
)

pytestmark = [
    pytest.mark.mqtt,
    pytest.mark.slow,
    # Out of process on a SQLite file of its own whatever DATABASE_URL says: CI's
    # PostgreSQL pass would only repeat the same minutes.
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs once, in the SQLite pass (its own database file)",
    ),
]
MESSAGES = int(os.environ.get("YIYANG_KILL_MESSAGES", "2000"))
DB_OUTAGE = float(os.environ.get("YIYANG_KILL_DB_OUTAGE", "10"))
DEVICES = 100
RATE = 1000.0  # messages a second, as in the issue


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("kill-template"))


@pytest.fixture(scope="module")
def seeded(template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """One database with the devices, copied for each case (seeding is the slow part)."""
    db = LiveDb(template, tmp_path_factory.mktemp("kill-seeded"))
    return db.path, db.seed(DEVICES)


class Case:
    def __init__(self, seeded: tuple[Path, list[str]], tmp_path: Path) -> None:
        self.db = LiveDb(seeded[0], tmp_path)
        self.devices = seeded[1]
        self.tmp = tmp_path
        self.broker = Broker(tmp_path)
        self.broker.start()
        self.gateways: list[Any] = []
        self.client_id = f"kill-gw-{uuid.uuid4().hex[:8]}"
        self.runs = 0

    def start_gateway(self, *, wait: bool = True) -> Any:
        self.runs += 1
        since = time.time()
        gateway = start_gateway(
            self.db,
            client_id=self.client_id,
            port=self.broker.port,
            log=self.tmp / f"gw{self.runs}.log",
            broker_check="refuse" if self.runs == 1 else "off",
        )
        self.gateways.append(gateway)
        if wait:
            wait_connected(self.db, self.client_id, since, timeout=60)
        return gateway

    def close(self) -> None:
        for gateway in self.gateways:
            gateway.stop()
        self.broker.stop()


@pytest.fixture
def case(seeded: tuple[Path, list[str]], tmp_path: Path) -> Iterator[Case]:
    started = Case(seeded, tmp_path)
    try:
        yield started
    finally:
        started.close()


POISON: list[bytes] = [
    json.dumps({"msg_id": "p", "type": ["sos"], "ts": 0}).encode(),
    json.dumps({"msg_id": "nul\u0000id", "type": "sos", "ts": time.time()}).encode(),
    json.dumps({"msg_id": "o", "type": {"sos": 1}, "ts": time.time()}).encode(),
    b"{garbage",
    b'{"a":' * 200 + b"1" + b"}" * 200,
]


def stream(
    case: Case, *, at: dict[float, Callable[[], None]], poison_every: int = 0
) -> dict[str, int]:
    """Publish MESSAGES SOS round-robin over the devices at RATE, calling ``at[f]`` once
    a fraction ``f`` of them is sent; wait until the broker acknowledged every one."""
    pub = publisher(case.broker.port, client_id=f"kill-pub-{uuid.uuid4().hex[:6]}")
    infos = []
    poison = 0
    pending = sorted(at.items())
    started = time.monotonic()
    try:
        for n in range(MESSAGES):
            device = case.devices[n % DEVICES]
            body = {"msg_id": f"sos-{n}", "type": "sos", "ts": round(time.time(), 3)}
            infos.append(publish(pub, device, body))
            if poison_every and n % poison_every == 0:
                publish(pub, device, POISON[poison % len(POISON)])
                poison += 1
            while pending and n + 1 >= pending[0][0] * MESSAGES:
                pending.pop(0)[1]()
            delay = started + (n + 1) / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        # A message published while the broker was away waits in the client (QoS 1, the
        # device's own duty) and goes out on reconnect: done when none is left unacknowledged.
        wait_for(
            lambda: not getattr(pub, "_out_messages", {}), 180, "the broker's PUBACKs", interval=0.5
        )
        acked = len(infos) - len(getattr(pub, "_out_messages", {}))
    finally:
        pub.disconnect()
        pub.loop_stop()
    return {"sent": MESSAGES, "broker_acknowledged": acked, "poison_sent": poison}


def tally(case: Case, sent: dict[str, int], timeout: float = 240) -> dict[str, int]:
    """Wait until every SOS is stored (or the timeout), then count."""

    def stored() -> int:
        return int(
            case.db.query("SELECT COUNT(*) FROM devices_deviceevent WHERE type = 'sos'")[0][0]
        )

    with contextlib.suppress(AssertionError):  # what is missing is counted as lost below
        wait_for(lambda: stored() >= MESSAGES, timeout, "every SOS to be stored", interval=1)
    events = stored()
    joined = case.db.query(
        "SELECT COALESCE(SUM(event_count), 0), COUNT(*) FROM alerts_alert WHERE kind = 'sos'"
    )[0]
    counts = {
        **sent,
        "stored": events,
        "lost": MESSAGES - events,
        # An event counted twice into its alert would be a duplicated alarm.
        "duplicated": int(joined[0]) - events,
        "alerts": int(joined[1]),
        "rejected_kept": int(case.db.query("SELECT COUNT(*) FROM devices_rejectedmessage")[0][0]),
    }
    print(json.dumps(counts))
    return counts


def test_gateway_kill_9_at_30_percent_and_restart(case: Case) -> None:
    case.start_gateway()

    def kill_and_restart() -> None:
        case.gateways[-1].kill9()
        threading.Timer(5.0, lambda: case.start_gateway(wait=False)).start()

    counts = tally(case, stream(case, at={0.3: kill_and_restart}))
    assert (counts["lost"], counts["duplicated"], counts["alerts"]) == (0, 0, DEVICES)
    assert counts["broker_acknowledged"] == MESSAGES


def test_broker_restart_mid_stream(case: Case) -> None:
    case.start_gateway()

    def restart() -> None:
        case.broker.stop()  # SIGTERM: Mosquitto writes its sessions and queues
        case.broker.start()

    counts = tally(case, stream(case, at={0.3: restart}))
    assert (counts["lost"], counts["duplicated"], counts["alerts"]) == (0, 0, DEVICES)


def test_database_outage_delays_but_loses_nothing(case: Case) -> None:
    case.start_gateway()
    lock: list[sqlite3.Connection] = []

    def outage() -> None:
        conn = sqlite3.connect(
            case.db.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        conn.execute("BEGIN EXCLUSIVE")  # every read and write of the gateway now fails
        lock.append(conn)

        def end() -> None:
            conn.execute("ROLLBACK")
            conn.close()

        threading.Timer(DB_OUTAGE, end).start()

    sent = stream(case, at={0.3: outage})
    counts = tally(case, sent, timeout=DB_OUTAGE + 240)
    assert (counts["lost"], counts["duplicated"], counts["alerts"]) == (0, 0, DEVICES)
    history = case.db.query("SELECT error, cleared_at FROM devices_gatewayerror")
    assert any("database" in error and cleared for error, cleared in history)
    assert case.db.query("SELECT last_error FROM devices_gatewaybeat") == [("",)]


def test_poison_mixed_in_is_rejected_once_and_acknowledged(case: Case) -> None:
    gateway = case.start_gateway()
    counts = tally(case, stream(case, at={}, poison_every=50))
    assert (counts["lost"], counts["duplicated"], counts["alerts"]) == (0, 0, DEVICES)
    # Each poison message is kept once: acknowledged, never redelivered and retried.
    wait_for(
        lambda: (
            case.db.query("SELECT COUNT(*) FROM devices_rejectedmessage")[0][0]
            >= counts["poison_sent"]
        ),
        30,
        "the poison to be kept",
    )
    gateway.stop()
    case.start_gateway()  # a reconnect gets nothing old again
    time.sleep(2)
    kept = case.db.query("SELECT COUNT(*) FROM devices_rejectedmessage")[0][0]
    assert kept == counts["poison_sent"]
    reasons = dict(
        case.db.query("SELECT reason, COUNT(*) FROM devices_rejectedmessage GROUP BY reason")
    )
    assert set(reasons) == {"unknown_type", "invalid_value", "malformed"}


def test_sigterm_with_a_backlog_exits_within_5_s_and_loses_nothing(case: Case) -> None:
    gateway = case.start_gateway()
    took: list[float] = []

    def terminate() -> None:
        began = time.monotonic()
        gateway.proc.terminate()
        gateway.proc.wait(timeout=30)
        took.append(time.monotonic() - began)
        case.start_gateway(wait=False)

    counts = tally(case, stream(case, at={0.5: terminate}))
    assert took[0] < 5.0
    assert (counts["lost"], counts["duplicated"], counts["alerts"]) == (0, 0, DEVICES)


def test_the_broker_check_tells_the_shipped_config_from_the_default_limits(
    tmp_path: Path,
) -> None:
    from tests.alerts.live import env_for

    (tmp_path / "stock").mkdir()
    (tmp_path / "shipped").mkdir()
    shipped = Broker(tmp_path / "shipped")
    stock = Broker(tmp_path / "stock")
    stock.conf.write_text(  # Mosquitto's defaults: 20 in flight, 1,000 queued
        f"listener {stock.port} 127.0.0.1\nallow_anonymous true\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    import subprocess
    import sys

    from tests.alerts.live import ROOT

    def check(port: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "yiyang", "check-broker", "--url", f"mqtt://127.0.0.1:{port}"],
            env=env_for(tmp_path / "unused.sqlite3"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    for broker in (shipped, stock):
        broker.start()
    try:
        good, bad = check(shipped.port), check(stock.port)
    finally:
        shipped.stop()
        stock.stop()
    assert good.returncode == 0, good.stdout + good.stderr
    assert "keeps queued messages (1200 of 1200)" in good.stdout
    assert bad.returncode == 1
    assert "kept 1000 of 1200" in bad.stdout and "max_queued_messages 1000000" in bad.stdout
