#!/usr/bin/env python
"""Device ingestion through Mosquitto into the database: sustained messages/s and SOS-to-alert
latency under load.

    .venv/bin/python bench/device_ingest.py [--database-url URL] [--devices 100000]
        [--rate 5000] [--duration 60] [--gateways 3] [--publishers 2] [--log-dir DIR]

Setup (not timed): a fresh database, one community, ``--elders`` elders registered through the
elder service, ``--devices`` pendants bound to them (written in bulk: setup, not the code under
test), a Mosquitto of the benchmark's own on a free port (no in-flight limit). Then
``--gateways`` real ``yiyang run-device-gateway`` processes (an MQTT shared subscription
spreads the load when there are several), connected before anyone publishes, and
``--publishers`` processes publishing real MQTT 5 QoS 1 packets (written by hand, several a
socket write, each PUBACK counted) at ``--rate`` messages/s in total: one heartbeat a minute
per device (1,667/s at 100,000 devices), the rest vitals and motion, and 2 SOS a second from
distinct devices. The JSON records the CPU each part used and the load average. A watcher polls the alert
table every 20 ms; SOS latency is from publish to the alert row being visible (committed).
The console's stream adds its polling interval (0.25 s) on top. Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.organisation_list import machine, recreate_postgres  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/yiyang_bench_devices"
    )
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--elders", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=5000)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument(
        "--gateways",
        type=int,
        default=3,
        help="gateway processes (a shared subscription); capacity mode uses 1",
    )
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--sos-per-second", type=float, default=2)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batch-ms", type=int, default=100)
    parser.add_argument(
        "--preload",
        type=int,
        default=0,
        help="capacity mode: queue N messages while the gateway is stopped, "
        "then time how fast one gateway drains them",
    )
    parser.add_argument("--drain-limit", type=float, default=600)
    parser.add_argument(
        "--sos-storm",
        type=int,
        default=0,
        help="storm mode: N SOS from N distinct devices at --storm-rate a "
        "second; publish-to-alert latency and alerts raised a second",
    )
    parser.add_argument("--storm-rate", type=float, default=1000)
    parser.add_argument(
        "--storm-preload",
        action="store_true",
        help="storm mode: queue the N SOS while the gateway is stopped, then "
        "time one gateway raising their alerts (its capacity)",
    )
    parser.add_argument("--log-dir", default="", help="keep the gateways' logs there")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker(tmp: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = Path(tmp) / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_inflight_messages 0\nmax_queued_messages 0\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("mosquitto did not start")


def seed(devices: int, elders: int) -> list[str]:
    """Elders through the service; devices and bindings in bulk (setup only)."""
    from decimal import Decimal

    from django.utils import timezone

    from tests.factories import citizen_id, make_child, make_city
    from yiyang.core.choices import DivisionLevel as L
    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.devices.models import Device, DeviceBinding
    from yiyang.elders.services import contact_add, elder_create

    city = make_city("4191", "基准市")
    community = make_child(
        make_child(make_child(city, L.DISTRICT, 2, "区"), L.STREET, 1, "街"), L.COMMUNITY, 1, "社区"
    )
    actor = SystemActor(Scope(division_prefix="4191"), username="bench")
    made = []
    for n in range(elders):
        # An ID number's sequence holds 500 men per birth date: a new date every 400 elders.
        born = (datetime.date(1940, 3, 15) + datetime.timedelta(days=n // 400)).strftime("%Y%m%d")
        elder = elder_create(
            actor=actor,
            name=f"老人{n}",
            community=community,
            address=f"幸福路{n}号",
            id_number=citizen_id("419102", born, n % 400 + 1),
            lat=Decimal("34.75"),
            lng=Decimal("113.65"),
        )
        if n < 50:
            contact_add(
                actor=actor, elder=elder, name="李强", relation="child", phones=["13900139000"]
            )
        made.append(elder)
    now = timezone.now()
    rows = [
        Device(
            kind="pendant",
            vendor="yiyang",
            serial=f"B{n:07d}",
            community=community,
            division_code=community.code,
            elder=made[n % elders],
            status="active",
            heartbeat_interval_seconds=3600,
            last_seen_at=now,
        )
        for n in range(devices)
    ]
    Device.objects.bulk_create(rows, batch_size=5000)
    ids = list(Device.objects.order_by("id").values_list("pk", "external_id", "elder_id"))
    DeviceBinding.objects.bulk_create(
        [DeviceBinding(device_id=pk, elder_id=elder_id, bound_at=now) for pk, _, elder_id in ids],
        batch_size=5000,
    )
    return [str(external_id) for _, external_id, _ in ids]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class RawPublisher:
    """A minimal MQTT 5 client that publishes QoS 1 and counts the broker's PUBACKs (on a
    reader thread): real MQTT on the wire, without paho's per-message Python overhead, so
    that the publishers leave the two cores to the gateway, the broker and the database.
    Several messages go out in one write."""

    WINDOW = 30000  # unacknowledged messages at most (packet ids are reused after 65,535)

    def __init__(self, port: int, client_id: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid = client_id.encode()
        # Protocol name, level 5, clean start, keep-alive 600 s, no properties; client id.
        body = b"\x00\x04MQTT\x05\x02\x02\x58\x00" + len(cid).to_bytes(2, "big") + cid
        self.sock.sendall(b"\x10" + _varint(len(body)) + body)
        head = self.sock.recv(2)
        rest = self.sock.recv(head[1])
        if head[0] != 0x20 or rest[1] != 0:
            raise RuntimeError(f"CONNACK refused: {head!r} {rest!r}")
        self.next_id = 1
        self.sent = 0
        self.acked = 0
        self.refused = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def packet(self, topic_header: bytes, payload: bytes) -> bytes:
        """``topic_header``: the topic with its two-byte length."""
        pid = self.next_id
        self.next_id = pid % 65535 + 1
        size = len(topic_header) + 3 + len(payload)
        return b"\x32" + _varint(size) + topic_header + pid.to_bytes(2, "big") + b"\x00" + payload

    def send(self, packets: list[bytes]) -> None:
        while self.sent - self.acked > self.WINDOW:
            time.sleep(0.001)
        self.sock.sendall(b"".join(packets))
        self.sent += len(packets)

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            pos, acked = 0, 0
            while pos + 2 <= len(buf):
                kind = buf[pos]
                size, shift, i = 0, 0, pos + 1
                while i < len(buf):
                    size |= (buf[i] & 0x7F) << shift
                    shift += 7
                    i += 1
                    if not buf[i - 1] & 0x80:
                        break
                else:
                    break
                if i + size > len(buf):
                    break
                if kind == 0x40:  # PUBACK: a reason code >= 0x80 is a refusal
                    acked += 1
                    if size >= 3 and buf[i + 2] >= 0x80:
                        self.refused += 1
                pos = i + size
            buf = buf[pos:]
            self.acked += acked

    def close(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.acked < self.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        self.sock.close()


HEARTBEAT = b'{"msg_id":"h%d-%d","type":"heartbeat","ts":%.3f,"battery":80}'
VITALS = b'{"msg_id":"v%d-%d","type":"vitals","ts":%.3f,"heart_rate":%d,"spo2":%d}'
MOTION = b'{"msg_id":"m%d-%d","type":"motion","ts":%.3f}'
SOS = b'{"msg_id":"sos-%d-%d","type":"sos","ts":%.3f}'


def publisher(
    index: int,
    port: int,
    devices: list[str],
    rate: float,
    sos_rate: float,
    duration: float,
    start_at: float,
    heartbeat_share: float,
    out: Any,
) -> None:
    """Publish ``rate`` messages a second for ``duration`` seconds in the topic scheme:
    devices in turn, each message a heartbeat with probability ``heartbeat_share``,
    otherwise vitals (3 in 4) or motion; plus ``sos_rate`` SOS a second from distinct
    devices (their publish times are reported for the latency)."""
    client = RawPublisher(port, f"bench-pub-{index}-{uuid.uuid4().hex[:6]}")
    rng = random.Random(index)
    rng.shuffle(devices)
    reserve = int(sos_rate * duration) + 10
    sos_devices = iter(devices[:reserve])

    def header(device: str) -> bytes:
        topic = f"yiyang/v1/devices/{device}/events".encode()
        return len(topic).to_bytes(2, "big") + topic

    normal = [header(d) for d in (devices[reserve:] or devices)]
    while time.time() < start_at:
        time.sleep(0.01)
    sent, sos_sent, i = 0, [], 0
    begin = time.monotonic()
    next_sos = 0.0
    packet = client.packet
    count = len(normal)
    while True:
        elapsed = time.monotonic() - begin
        if elapsed >= duration:
            break
        due = int(elapsed * rate)
        packets = []
        now = time.time()
        while sent < due:
            i += 1
            roll = rng.random()
            if roll < heartbeat_share:
                body = HEARTBEAT % (index, i, now)
            elif roll < heartbeat_share + (1 - heartbeat_share) * 0.75:
                body = VITALS % (index, i, now, rng.randint(60, 95), rng.randint(94, 99))
            else:
                body = MOTION % (index, i, now)
            packets.append(packet(normal[i % count], body))
            sent += 1
        if sos_rate and elapsed >= next_sos:
            device = next(sos_devices, None)
            if device is not None:
                body = SOS % (index, len(sos_sent), now)
                packets.append(packet(header(device), body))
                sos_sent.append((device, now))
                sent += 1
            next_sos += 1 / sos_rate
        if packets:
            client.send(packets)
        time.sleep(0.002)
    client.close()
    out.put(
        {"sent": sent, "acked_by_broker": client.acked, "refused": client.refused, "sos": sos_sent}
    )


def wait_subscribed(gateways: int, timeout: float = 120) -> None:
    """Until every gateway says it is connected (its subscription is sent on connect): a
    message published before the first subscription has no session to wait in."""
    from django.db import connection

    from yiyang.devices.models import GatewayBeat

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        ready = GatewayBeat.objects.filter(name__startswith="mqtt:bench-gw-", connected=True)
        if ready.count() >= gateways:
            connection.close()
            time.sleep(1)
            return
        time.sleep(0.2)
    raise RuntimeError("the gateways did not connect")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process (this benchmark's backends and anyone else's)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(entry, "comm").read_text().strip() == "postgres":
                    total += _cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def main() -> int:
    args = parse()
    if args.preload or args.storm_preload:
        args.gateways = 1
    if args.sos_storm:
        args.devices = max(args.devices, args.sos_storm)
    tmp = tempfile.mkdtemp(prefix="yiyang-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    if url.startswith("postgres"):
        recreate_postgres(url)
    os.environ.update(
        {
            "YIYANG_MODE": "test",
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "YIYANG_VAR_DIR": tmp,
            "DEVICE_MAX_MESSAGES_PER_MINUTE": "100000",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    device_ids = seed(args.devices, args.elders)
    setup_s = time.monotonic() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()

    broker, port = start_broker(tmp)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MQTT_PROTOCOL": "5"}
    topic = (
        "$share/yiyang/yiyang/v1/devices/+/events"
        if args.gateways > 1
        else "yiyang/v1/devices/+/events"
    )
    gateways = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "yiyang",
                "run-device-gateway",
                "--client-id",
                f"bench-gw-{n}",
                "--url",
                f"mqtt://127.0.0.1:{port}",
                "--batch-size",
                str(args.batch_size),
                "--batch-ms",
                str(args.batch_ms),
            ],
            env={**env, "MQTT_TOPIC": topic, "LOG_LEVEL": "INFO", "MQTT_BROKER_CHECK": "off"},
            stdout=open(Path(tmp) / f"gw{n}.out", "wb"),
            stderr=open(Path(tmp) / f"gw{n}.log", "wb"),
        )
        for n in range(args.gateways)
    ]
    wait_subscribed(args.gateways)
    if args.sos_storm:
        return storm(args, port, device_ids, gateways, env, topic, broker, setup_s, tmp)
    if args.preload:
        return capacity(args, port, device_ids, gateways, env, topic, broker, setup_s, tmp)

    import psycopg  # noqa: F401 - the watcher reads with Django's connection

    from yiyang.alerts.models import Alert
    from yiyang.devices.models import DeviceEvent

    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        last = 0
        while not stop.is_set():
            rows = list(
                Alert.objects.filter(pk__gt=last, kind="sos").values_list(
                    "pk", "device__external_id"
                )
            )
            now = time.time()
            for pk, device in rows:
                seen.setdefault(str(device), now)
                last = max(last, pk)
            time.sleep(0.02)
        connection.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    total = args.warmup + args.duration
    start_at = time.time() + 2
    queue: Any = multiprocessing.Queue()
    per = [device_ids[i :: args.publishers] for i in range(args.publishers)]
    # One heartbeat a minute per device; vitals and motion make up the rest of the rate.
    heartbeat_share = min(1.0, args.devices / 60 / args.rate)
    pubs = [
        multiprocessing.Process(
            target=publisher,
            args=(
                i,
                port,
                per[i],
                args.rate / args.publishers,
                args.sos_per_second / args.publishers,
                total,
                start_at,
                heartbeat_share,
                queue,
            ),
        )
        for i in range(args.publishers)
    ]
    for p in pubs:
        p.start()
    time.sleep(max(0.0, start_at - time.time()) + args.warmup)

    def cpu() -> dict[str, float]:
        return {
            "gateways": sum(_cpu_seconds(g.pid) for g in gateways),
            "broker": _cpu_seconds(broker.pid),
            "publishers": sum(_cpu_seconds(p.pid or 0) for p in pubs),
            "postgres_all": _postgres_cpu_seconds(),
        }

    cpu_a, load_a = cpu(), os.getloadavg()
    count_a, t_a = DeviceEvent.objects.count(), time.monotonic()
    samples = [(t_a, count_a)]
    while time.monotonic() - t_a < args.duration - 0.01:
        time.sleep(min(5.0, args.duration - (time.monotonic() - t_a)))
        samples.append((time.monotonic(), DeviceEvent.objects.count()))
    count_b, t_b = samples[-1][1], samples[-1][0]
    cpu_b, load_b = cpu(), os.getloadavg()
    cpu_share = {k: round((cpu_b[k] - cpu_a[k]) / (t_b - t_a), 2) for k in cpu_a}
    windows = [round((c1 - c0) / (t1 - t0)) for (t0, c0), (t1, c1) in itertools.pairwise(samples)]
    results = [queue.get(timeout=120) for _ in pubs]
    for p in pubs:
        p.join(30)
    sent = sum(r["sent"] for r in results)
    sos = [item for r in results for item in r["sos"]]
    # Drain: how long until every message sent is stored (the gateway catching up).
    drain_started = time.monotonic()
    while DeviceEvent.objects.count() < sent and time.monotonic() - drain_started < 120:
        time.sleep(0.5)
    drained_s = time.monotonic() - drain_started
    stored = DeviceEvent.objects.count()
    time.sleep(1)
    stop.set()
    watcher.join(5)
    for g in gateways:
        g.terminate()
    for g in gateways:
        g.wait(20)
    broker.terminate()
    latencies = sorted(seen[d] - t for d, t in sos if d in seen)
    alerts = Alert.objects.filter(kind="sos").count()

    def pct(q: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3)
            if latencies
            else None
        )

    result = {
        "benchmark": "device_ingest",
        "database": connection.vendor,
        "devices": args.devices,
        "elders": args.elders,
        "gateways": args.gateways,
        "publishers": args.publishers,
        "target_rate": args.rate,
        "duration_s": args.duration,
        "batch_size": args.batch_size,
        "batch_ms": args.batch_ms,
        "setup_s": round(setup_s, 1),
        "sent": sent,
        "stored": stored,
        "backlog_at_end": sent - stored,
        "sustained_stored_per_s": round((count_b - count_a) / (t_b - t_a), 1),
        "stored_per_s_by_5s": windows,
        "heartbeat_share": round(heartbeat_share, 3),
        "acked_by_broker": sum(r.get("acked_by_broker", 0) for r in results),
        "cores_used": cpu_share,
        "load_average_start": [round(x, 2) for x in load_a],
        "load_average_end": [round(x, 2) for x in load_b],
        "drain_after_publishing_s": round(drained_s, 1),
        "sos_sent": len(sos),
        "sos_alerts": alerts,
        "sos_latency_p50_s": pct(0.5),
        "sos_latency_p99_s": pct(0.99),
        "sos_latency_max_s": round(latencies[-1], 3) if latencies else None,
        "sos_latency_mean_s": round(statistics.mean(latencies), 3) if latencies else None,
        "machine": machine(),
    }
    if args.log_dir:
        Path(args.log_dir).mkdir(parents=True, exist_ok=True)
        for log in [*Path(tmp).glob("*.log"), *Path(tmp).glob("*.out")]:
            shutil.copy(log, Path(args.log_dir) / log.name)
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))
    return 0


def capacity(
    args: Any,
    port: int,
    device_ids: list[str],
    gateways: list[Any],
    env: dict[str, str],
    topic: str,
    broker: Any,
    setup_s: float,
    tmp: str,
) -> int:
    """Stop the gateway (its persistent session keeps collecting), publish ``--preload``
    messages, restart it and time the drain: the gateway's own capacity, with no publisher
    competing for the CPU while it works."""
    import paho.mqtt.client as mqtt
    from django.db import connection

    from yiyang.devices.models import DeviceEvent

    for g in gateways:
        g.terminate()
        g.wait(20)
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="bench-preload",
        protocol=mqtt.MQTTv5,
    )
    client.max_inflight_messages_set(20000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    infos = []
    for n in range(args.preload):
        device = device_ids[n % len(device_ids)]
        kind = "vitals" if n % 5 == 0 else "heartbeat"
        body = {"msg_id": f"pre-{n}", "type": kind, "ts": time.time(), "battery": 80}
        if kind == "vitals":
            body["heart_rate"] = 72
        infos.append(client.publish(f"yiyang/v1/devices/{device}/events", json.dumps(body), qos=1))
    for info in infos:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()
    before = DeviceEvent.objects.count()
    started = time.monotonic()
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "yiyang",
            "run-device-gateway",
            "--client-id",
            "bench-gw-0",
            "--url",
            f"mqtt://127.0.0.1:{port}",
            "--batch-size",
            str(args.batch_size),
            "--batch-ms",
            str(args.batch_ms),
        ],
        env={**env, "MQTT_TOPIC": topic, "LOG_LEVEL": "INFO"},
        stdout=subprocess.DEVNULL,
        stderr=open(Path(tmp) / "drain.log", "wb"),
    )
    while (
        DeviceEvent.objects.count() - before < args.preload
        and time.monotonic() - started < args.drain_limit
    ):
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    stored = DeviceEvent.objects.count() - before
    gateway.terminate()
    gateway.wait(20)
    broker.terminate()
    result = {
        "benchmark": "device_ingest_capacity",
        "database": connection.vendor,
        "devices": args.devices,
        "preloaded": args.preload,
        "stored": stored,
        "drain_s": round(elapsed, 1),
        "drain_per_s": round(stored / elapsed, 1),
        "batch_size": args.batch_size,
        "batch_ms": args.batch_ms,
        "setup_s": round(setup_s, 1),
        "machine": machine(),
    }
    print(json.dumps(result))
    return 0


def storm(
    args: Any,
    port: int,
    device_ids: list[str],
    gateways: list[Any],
    env: dict[str, str],
    topic: str,
    broker: Any,
    setup_s: float,
    tmp: str,
) -> int:
    """``--sos-storm N``: N SOS from N distinct devices (a power cut, an earthquake).

    Live (default): published at ``--storm-rate`` a second through the running gateways;
    each SOS's latency is from its publish to its alert row being visible (committed).
    ``--storm-preload``: queued while the one gateway is stopped, then the gateway is
    started and timed raising them all: new SOS alerts a second through one gateway."""
    import paho.mqtt.client as mqtt
    from django.db import connection

    from yiyang.alerts.models import Alert

    n_sos = args.sos_storm
    devices = device_ids[:n_sos]
    if args.storm_preload:
        for g in gateways:
            g.terminate()
            g.wait(20)
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        # Several gateways commit their batches out of key order: a row with a lower key
        # can appear after a higher one was seen. Re-reading a margin below the highest key
        # seen catches it (seen once: the first sighting stands).
        last = 0
        while not stop.is_set():
            rows = list(
                Alert.objects.filter(pk__gt=max(0, last - 3000), kind="sos").values_list(
                    "pk", "device__external_id"
                )
            )
            now = time.time()
            for pk, device in rows:
                seen.setdefault(str(device), now)
                last = max(last, pk)
            time.sleep(0.02)
        connection.close()

    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"bench-storm-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    client.max_inflight_messages_set(20000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    load_a = os.getloadavg()
    published: dict[str, float] = {}
    infos = []
    begin = time.monotonic()
    for n, device in enumerate(devices):
        now = time.time()
        body = json.dumps({"msg_id": f"storm-{n}", "type": "sos", "ts": round(now, 3)})
        infos.append(client.publish(f"yiyang/v1/devices/{device}/events", body, qos=1))
        published[device] = now
        if not args.storm_preload:
            delay = begin + (n + 1) / args.storm_rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    last_publish = time.time()
    publish_s = time.monotonic() - begin
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()
    started_gateway = time.time()
    if args.storm_preload:
        gateways = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "yiyang",
                    "run-device-gateway",
                    "--client-id",
                    "bench-gw-0",
                    "--url",
                    f"mqtt://127.0.0.1:{port}",
                    "--batch-size",
                    str(args.batch_size),
                    "--batch-ms",
                    str(args.batch_ms),
                ],
                env={**env, "MQTT_TOPIC": topic, "LOG_LEVEL": "INFO", "MQTT_BROKER_CHECK": "off"},
                stdout=subprocess.DEVNULL,
                stderr=open(Path(tmp) / "storm.log", "wb"),
            )
        ]
    deadline = time.monotonic() + args.drain_limit
    while len(seen) < n_sos and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    watcher.join(5)
    load_b = os.getloadavg()
    stop_s = []
    for g in gateways:
        g.terminate()
    for g in gateways:
        began = time.monotonic()
        try:
            g.wait(30)
        except subprocess.TimeoutExpired:  # a gateway that does not stop: noted, then killed
            g.kill()
            g.wait(10)
        stop_s.append(round(time.monotonic() - began, 1))
    broker.terminate()
    alerts = Alert.objects.filter(kind="sos").count()
    times = sorted(seen.values())
    latencies = sorted(seen[d] - published[d] for d in seen)

    def pct(q: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3)
            if latencies
            else None
        )

    result = {
        "benchmark": "device_ingest_sos_storm",
        "database": connection.vendor,
        "mode": "preload" if args.storm_preload else "live",
        "gateways": len(gateways),
        "sos_sent": n_sos,
        "sos_alerts": alerts,
        "alerts_seen": len(seen),
        "storm_rate": None if args.storm_preload else args.storm_rate,
        "publish_s": round(publish_s, 1),
        "gateway_stop_s": stop_s,
        "batch_size": args.batch_size,
        "batch_ms": args.batch_ms,
        "setup_s": round(setup_s, 1),
        "load_average_start": [round(x, 2) for x in load_a],
        "load_average_end": [round(x, 2) for x in load_b],
        "machine": machine(),
    }
    if args.storm_preload and times:
        result["raise_s"] = round(times[-1] - started_gateway, 2)
        result["alerts_per_s"] = round(len(times) / max(times[-1] - times[0], 1e-3), 1)
    elif times:
        result["after_last_publish_s"] = round(times[-1] - last_publish, 2)
        result["alerts_per_s"] = round(len(times) / max(times[-1] - times[0], 1e-3), 1)
        result.update(
            latency_p50_s=pct(0.5), latency_p99_s=pct(0.99), latency_max_s=round(latencies[-1], 3)
        )
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
