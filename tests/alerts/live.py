"""Out-of-process harness for the live gateway tests: a database file of their own (copied
from one migrated template per session), the gateway as a real subprocess, a broker of
their own when a test restarts it, and paho publishing as a device would."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def broker_reachable(host: str = "127.0.0.1", port: int = 1883) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_broker(port: int = 1883) -> None:
    if broker_reachable(port=port):
        return
    reason = f"no MQTT broker on 127.0.0.1:{port} (start Mosquitto: `mosquitto -d`)"
    if os.environ.get("YIYANG_REQUIRE_MQTT") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def env_for(db_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.test_settings",
        YIYANG_MODE="test",
        DATABASE_URL=f"sqlite:///{db_path}",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def migrated_template(directory: Path) -> Path:
    path = directory / "template.sqlite3"
    subprocess.run(
        [PYTHON, "-m", "yiyang", "migrate", "-v0"],
        env=env_for(path),
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return path


class LiveDb:
    def __init__(self, template: Path, directory: Path) -> None:
        self.path = directory / f"live-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copy(template, self.path)

    def env(self, **extra: str) -> dict[str, str]:
        return env_for(self.path, **extra)

    def seed(self, count: int) -> list[str]:
        out = subprocess.run(
            [PYTHON, "-m", "tests.alerts.live_seed", str(count)],
            env=self.env(),
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path, timeout=30) as db:
            return db.execute(sql, params).fetchall()


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("ab")
        self.proc = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=self.handle, stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.handle.close()


def start_gateway(
    db: LiveDb, *, client_id: str, port: int, log: Path, broker_check: str = "off"
) -> Process:
    return Process(
        [
            PYTHON,
            "-m",
            "yiyang",
            "run-device-gateway",
            "--client-id",
            client_id,
            "--url",
            f"mqtt://127.0.0.1:{port}",
            "--batch-ms",
            "20",
            "--broker-check",
            broker_check,
        ],
        # A short session expiry: the session must outlive a restart within the test, not
        # linger on a shared broker collecting messages for a week.
        db.env(LOG_LEVEL="INFO", MQTT_SESSION_EXPIRY_SECONDS="120"),
        log,
    )


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_connected(db: LiveDb, client_id: str, since: float, timeout: float = 30) -> None:
    """The gateway's heartbeat says it is connected (after ``since``, epoch seconds)."""

    def connected() -> bool:
        rows = db.query(
            "SELECT connected, beat_at FROM devices_gatewaybeat WHERE name LIKE ?",
            f"mqtt:{client_id}:%",
        )
        return any(c and _epoch(beat) >= since for c, beat in rows)

    wait_for(connected, timeout, f"gateway {client_id} to connect")


def _epoch(text: str) -> float:
    from datetime import UTC, datetime

    at = datetime.fromisoformat(str(text))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def publisher(port: int, client_id: str | None = None) -> Any:
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id or f"pub-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600
    client.connect("127.0.0.1", port, keepalive=10, clean_start=False, properties=props)
    client.loop_start()
    return client


def publish(client: Any, device_id: str, payload: Any) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    return client.publish(f"yiyang/v1/devices/{device_id}/events", body, qos=1)


SHIPPED_CONF = ROOT / "deploy" / "mosquitto" / "mosquitto.conf"


class Broker:
    """A Mosquitto of the test's own, so that it can be restarted and killed, running the
    project's shipped configuration (deploy/mosquitto/mosquitto.conf) with only its port
    and persistence directory changed."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.conf = directory / "mosquitto.conf"
        lines = []
        for line in SHIPPED_CONF.read_text().splitlines():
            if line.startswith("listener "):
                line = f"listener {self.port} 127.0.0.1"
            elif line.startswith("persistence_location "):
                line = f"persistence_location {directory}/"
            lines.append(line)
        # Run as root, Mosquitto drops to the mosquitto user, which cannot write here.
        lines += ["user root"] if os.geteuid() == 0 else []
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            if os.environ.get("YIYANG_REQUIRE_MQTT") == "1":
                pytest.fail("mosquitto is not installed")
            pytest.skip("mosquitto is not installed")
        self.proc = subprocess.Popen(
            [binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: broker_reachable(port=self.port), 10, "the test broker")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
