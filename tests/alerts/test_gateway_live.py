"""The gateway as a real process against a real Mosquitto: a round trip, bad input that
never crashes it, and the reliability cases (kill -9 mid-stream, a broker restart, the
database away for 30 s): every SOS sent ends as exactly one alert, no event is lost.

These run out of process on a SQLite file of their own. Skipped when no broker is reachable,
unless YIYANG_REQUIRE_MQTT=1 (CI), where that is a failure."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.live import (
    Broker,
    LiveDb,
    migrated_template,
    need_broker,
    publish,
    publisher,
    start_gateway,
    wait_connected,
    wait_for,
)

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("live-template"))


@pytest.fixture
def live_db(template: Path, tmp_path: Path) -> LiveDb:
    return LiveDb(template, tmp_path)


@pytest.fixture
def processes() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for proc in started:
        proc.stop()


def sos(n: int) -> dict[str, Any]:
    return {"msg_id": f"sos-{n}", "type": "sos", "ts": round(time.time(), 3)}


def heartbeat(n: int) -> dict[str, Any]:
    return {"msg_id": f"hb-{n}", "type": "heartbeat", "ts": round(time.time(), 3), "battery": 80}


def test_a_round_trip_through_mosquitto_raises_exactly_one_alert(
    live_db: LiveDb, tmp_path: Path, processes: list[Any]
) -> None:
    need_broker()
    (device_id,) = live_db.seed(1)
    client_id = f"test-gw-{uuid.uuid4().hex[:8]}"
    since = time.time()
    gateway = start_gateway(live_db, client_id=client_id, port=1883, log=tmp_path / "gw.log")
    processes.append(gateway)
    wait_connected(live_db, client_id, since)
    pub = publisher(1883)
    try:
        publish(pub, device_id, sos(1)).wait_for_publish(5)
        publish(pub, device_id, sos(1)).wait_for_publish(5)  # at-least-once: a redelivery
        publish(pub, device_id, b"{garbage").wait_for_publish(5)
        publish(
            pub, device_id, {"msg_id": "x", "type": "vitals", "heart_rate": 900, "ts": time.time()}
        ).wait_for_publish(5)
        publish(pub, str(uuid.uuid4()), sos(2)).wait_for_publish(5)
        publish(pub, device_id, b"x" * (10 * 1024 * 1024)).wait_for_publish(20)
    finally:
        pub.disconnect()
        pub.loop_stop()

    def settled() -> bool:
        return live_db.query("SELECT COALESCE(SUM(count), 0) FROM devices_rejection")[0][0] >= 4

    wait_for(settled, 30, "the rejections to be counted")
    assert live_db.query("SELECT kind, priority, status, event_count FROM alerts_alert") == [
        ("sos", 1, "open", 1)
    ]
    assert sorted(live_db.query("SELECT reason, count FROM devices_rejection")) == [
        ("invalid_value", 1),
        ("malformed", 1),
        ("too_large", 1),
        ("unknown_device", 1),
    ]
    assert gateway.alive()


def _stream(pub: Any, devices: list[str], *, rounds: int, rate: float) -> dict[str, int]:
    """Each device sends ``rounds`` heartbeats and, halfway, one SOS."""
    sent = {"heartbeat": 0, "sos": 0}
    for r in range(rounds):
        for n, device_id in enumerate(devices):
            publish(pub, device_id, heartbeat(r * 1000 + n))
            sent["heartbeat"] += 1
            if r == rounds // 2:
                publish(pub, device_id, sos(n))
                sent["sos"] += 1
            time.sleep(1 / rate)
    return sent


def _assert_every_sos_is_one_alert(db: LiveDb, devices: list[str], heartbeats: int) -> None:
    def all_in() -> bool:
        return db.query("SELECT COUNT(*) FROM devices_deviceevent")[0][0] >= heartbeats + len(
            devices
        )

    try:
        wait_for(all_in, 90, "every event to be stored", interval=0.5)
    except AssertionError:
        stored = db.query("SELECT type, COUNT(*) FROM devices_deviceevent GROUP BY type")
        raise AssertionError(f"stored {stored}, expected {heartbeats} heartbeats") from None
    per_device = db.query(
        "SELECT d.external_id, COUNT(a.id), SUM(a.event_count) FROM devices_device d "
        "LEFT JOIN alerts_alert a ON a.device_id = d.id AND a.kind = 'sos' GROUP BY d.id"
    )
    assert sorted((count, events) for _, count, events in per_device) == [(1, 1)] * len(devices)
    assert db.query(
        "SELECT type, COUNT(*) FROM devices_deviceevent GROUP BY type ORDER BY type"
    ) == [
        ("heartbeat", heartbeats),
        ("sos", len(devices)),
    ]


def test_kill_9_mid_stream_loses_no_sos_and_duplicates_none(
    live_db: LiveDb, tmp_path: Path, processes: list[Any]
) -> None:
    broker = Broker(tmp_path)
    broker.start()
    try:
        devices = live_db.seed(20)
        client_id = f"test-gw-{uuid.uuid4().hex[:8]}"
        since = time.time()
        gateway = start_gateway(
            live_db, client_id=client_id, port=broker.port, log=tmp_path / "gw1.log"
        )
        processes.append(gateway)
        wait_connected(live_db, client_id, since)
        pub = publisher(broker.port)
        result: dict[str, dict[str, int]] = {}
        thread = threading.Thread(
            target=lambda: result.update(sent=_stream(pub, devices, rounds=30, rate=200))
        )
        thread.start()
        time.sleep(1.0)
        gateway.kill9()  # mid-stream: some batches stored but not acknowledged, some neither
        time.sleep(0.5)
        gateway = start_gateway(
            live_db, client_id=client_id, port=broker.port, log=tmp_path / "gw2.log"
        )
        processes.append(gateway)
        time.sleep(0.8)
        gateway.kill9()  # and once more, for luck
        gateway = start_gateway(
            live_db, client_id=client_id, port=broker.port, log=tmp_path / "gw3.log"
        )
        processes.append(gateway)
        thread.join(60)
        pub.disconnect()
        pub.loop_stop()
        assert result["sent"] == {"heartbeat": 600, "sos": 20}
        _assert_every_sos_is_one_alert(live_db, devices, 600)
        assert gateway.alive()
    finally:
        broker.stop()


def test_a_broker_restart_loses_nothing(
    live_db: LiveDb, tmp_path: Path, processes: list[Any]
) -> None:
    broker = Broker(tmp_path)
    broker.start()
    try:
        devices = live_db.seed(10)
        client_id = f"test-gw-{uuid.uuid4().hex[:8]}"
        since = time.time()
        gateway = start_gateway(
            live_db, client_id=client_id, port=broker.port, log=tmp_path / "gw.log"
        )
        processes.append(gateway)
        wait_connected(live_db, client_id, since)
        pub = publisher(broker.port, client_id="pub-restart")
        result: dict[str, dict[str, int]] = {}
        thread = threading.Thread(
            target=lambda: result.update(sent=_stream(pub, devices, rounds=40, rate=100))
        )
        thread.start()
        time.sleep(1.5)
        broker.stop()  # SIGTERM: Mosquitto saves its persistent sessions
        time.sleep(1.0)
        broker.start()
        thread.join(90)
        _wait_published(pub)
        pub.disconnect()
        pub.loop_stop()
        _assert_every_sos_is_one_alert(live_db, devices, 400)
        assert gateway.alive()
    finally:
        broker.stop()


def _wait_published(pub: Any) -> None:
    """Wait until the publisher's in-flight messages are acknowledged by the broker."""
    wait_for(lambda: len(getattr(pub, "_out_messages", {})) == 0, 60, "the publisher to drain")


def test_thirty_seconds_without_the_database_delays_but_loses_nothing(
    live_db: LiveDb, tmp_path: Path, processes: list[Any]
) -> None:
    need_broker()
    devices = live_db.seed(5)
    client_id = f"test-gw-{uuid.uuid4().hex[:8]}"
    since = time.time()
    gateway = start_gateway(live_db, client_id=client_id, port=1883, log=tmp_path / "gw.log")
    processes.append(gateway)
    wait_connected(live_db, client_id, since)
    pub = publisher(1883)
    # The database is unavailable: an exclusive lock refuses every write (and read).
    lock = sqlite3.connect(live_db.path, timeout=30, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        for n, device_id in enumerate(devices):
            publish(pub, device_id, sos(n)).wait_for_publish(5)
            publish(pub, device_id, heartbeat(n)).wait_for_publish(5)
        time.sleep(30)
        assert gateway.alive()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    pub.disconnect()
    pub.loop_stop()
    _assert_every_sos_is_one_alert(live_db, devices, 5)
    # The status tells the truth: the error is gone once the database is back, and the
    # history keeps when it arose and when it cleared.
    wait_for(
        lambda: live_db.query("SELECT last_error FROM devices_gatewaybeat") == [("",)],
        10,
        "the error to clear",
    )
    history = live_db.query("SELECT error, started_at, cleared_at FROM devices_gatewayerror")
    assert len(history) == 1, f"one outage, one history row: {history}"
    ((error, _started, cleared),) = history
    assert "database" in error and cleared is not None
