#!/usr/bin/env python
"""Device ingestion through Mosquitto into the database: sustained messages/s and SOS-to-alert
latency under load.

    .venv/bin/python bench/device_ingest.py [--database-url URL] [--devices 100000]
        [--rate 5000] [--duration 60] [--gateways 1] [--publishers 2]

Setup (not timed): a fresh database, one community, ``--elders`` elders registered through the
elder service, ``--devices`` pendants bound to them (written in bulk: setup, not the code under
test), a Mosquitto of the benchmark's own on a free port (no in-flight limit). Then
``--gateways`` real ``yiyang run-device-gateway`` processes (an MQTT shared subscription
spreads the load when there are several) and ``--publishers`` processes publishing QoS 1 at
``--rate`` messages/s in total: heartbeats (one a minute per device at 100,000 devices is
1,667/s), vitals, motion, and 2 SOS a second from distinct devices. A watcher polls the alert
table every 20 ms; SOS latency is from publish to the alert row being visible (committed).
The console's stream adds its polling interval (0.25 s) on top. Prints one JSON object last.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--gateways", type=int, default=1)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--sos-per-second", type=float, default=2)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batch-ms", type=int, default=100)
    parser.add_argument("--preload", type=int, default=0,
                        help="capacity mode: queue N messages while the gateway is stopped, "
                        "then time how fast one gateway drains them")  # fmt: skip
    parser.add_argument("--drain-limit", type=float, default=600)
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
    community = make_child(make_child(make_child(city, L.DISTRICT, 2, "区"), L.STREET, 1, "街"),
                           L.COMMUNITY, 1, "社区")  # fmt: skip
    actor = SystemActor(Scope(division_prefix="4191"), username="bench")
    made = []
    for n in range(elders):
        elder = elder_create(
            actor=actor, name=f"老人{n}", community=community, address=f"幸福路{n}号",
            id_number=citizen_id("419102", "19400315", n + 1), lat=Decimal("34.75"), lng=Decimal("113.65"),
        )  # fmt: skip
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


def publisher(index: int, port: int, devices: list[str], rate: float, sos_rate: float,
              duration: float, start_at: float, out: Any) -> None:  # fmt: skip
    import paho.mqtt.client as mqtt

    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                         client_id=f"bench-pub-{index}-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5)  # fmt: skip
    client.max_inflight_messages_set(10000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    rng = random.Random(index)
    rng.shuffle(devices)
    sos_devices = iter(devices[: int(sos_rate * duration) + 10])
    normal = devices[int(sos_rate * duration) + 10 :] or devices
    while time.time() < start_at:
        time.sleep(0.01)
    sent, sos_sent, i = 0, [], 0
    begin = time.monotonic()
    next_sos = 0.0
    while True:
        elapsed = time.monotonic() - begin
        if elapsed >= duration:
            break
        due = int(elapsed * rate)
        while sent < due:
            device = normal[i % len(normal)]
            i += 1
            roll = rng.random()
            now = time.time()
            if roll < 0.8:
                body = {"msg_id": f"h{index}-{i}", "type": "heartbeat", "ts": now, "battery": 80}
            elif roll < 0.95:
                body = {"msg_id": f"v{index}-{i}", "type": "vitals", "ts": now,
                        "heart_rate": rng.randint(60, 95), "spo2": rng.randint(94, 99)}  # fmt: skip
            else:
                body = {"msg_id": f"m{index}-{i}", "type": "motion", "ts": now}
            client.publish(f"yiyang/v1/devices/{device}/events", json.dumps(body), qos=1)
            sent += 1
        if sos_rate and elapsed >= next_sos:
            device = next(sos_devices, None)
            if device is not None:
                now = time.time()
                client.publish(f"yiyang/v1/devices/{device}/events",
                               json.dumps({"msg_id": f"sos-{index}-{len(sos_sent)}", "type": "sos", "ts": now}), qos=1)  # fmt: skip
                sos_sent.append((device, now))
                sent += 1
            next_sos += 1 / sos_rate
        time.sleep(0.001)
    time.sleep(1)
    client.disconnect()
    client.loop_stop()
    out.put({"sent": sent, "sos": sos_sent})


def main() -> int:
    args = parse()
    tmp = tempfile.mkdtemp(prefix="yiyang-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    if url.startswith("postgres"):
        recreate_postgres(url)
    os.environ.update({
        "YIYANG_MODE": "test", "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings",
        "YIYANG_VAR_DIR": tmp, "DEVICE_MAX_MESSAGES_PER_MINUTE": "100000",
    })  # fmt: skip
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
            env={**env, "MQTT_TOPIC": topic},
            stdout=subprocess.DEVNULL,
            stderr=open(Path(tmp) / f"gw{n}.log", "wb"),
        )
        for n in range(args.gateways)
    ]
    time.sleep(3)
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
    pubs = [
        multiprocessing.Process(target=publisher, args=(
            i, port, per[i], args.rate / args.publishers, args.sos_per_second / args.publishers,
            total, start_at, queue))
        for i in range(args.publishers)
    ]  # fmt: skip
    for p in pubs:
        p.start()
    time.sleep(max(0.0, start_at - time.time()) + args.warmup)
    count_a, t_a = DeviceEvent.objects.count(), time.monotonic()
    time.sleep(args.duration)
    count_b, t_b = DeviceEvent.objects.count(), time.monotonic()
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
        "devices": args.devices, "elders": args.elders, "gateways": args.gateways,
        "publishers": args.publishers, "target_rate": args.rate, "duration_s": args.duration,
        "batch_size": args.batch_size, "batch_ms": args.batch_ms,
        "setup_s": round(setup_s, 1),
        "sent": sent, "stored": stored, "backlog_at_end": sent - stored,
        "sustained_stored_per_s": round((count_b - count_a) / (t_b - t_a), 1),
        "drain_after_publishing_s": round(drained_s, 1),
        "sos_sent": len(sos), "sos_alerts": alerts,
        "sos_latency_p50_s": pct(0.5), "sos_latency_p99_s": pct(0.99),
        "sos_latency_max_s": round(latencies[-1], 3) if latencies else None,
        "sos_latency_mean_s": round(statistics.mean(latencies), 3) if latencies else None,
        "machine": machine(),
    }  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))
    return 0


def capacity(args: Any, port: int, device_ids: list[str], gateways: list[Any], env: dict[str, str],
             topic: str, broker: Any, setup_s: float, tmp: str) -> int:  # fmt: skip
    """Stop the gateway (its persistent session keeps collecting), publish ``--preload``
    messages, restart it and time the drain: the gateway's own capacity, with no publisher
    competing for the CPU while it works."""
    import paho.mqtt.client as mqtt
    from django.db import connection

    from yiyang.devices.models import DeviceEvent

    for g in gateways:
        g.terminate()
        g.wait(20)
    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                         client_id="bench-preload", protocol=mqtt.MQTTv5)  # fmt: skip
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
        [sys.executable, "-m", "yiyang", "run-device-gateway", "--client-id", "bench-gw-0",
         "--url", f"mqtt://127.0.0.1:{port}", "--batch-size", str(args.batch_size),
         "--batch-ms", str(args.batch_ms)],
        env={**env, "MQTT_TOPIC": topic, "LOG_LEVEL": "INFO"}, stdout=subprocess.DEVNULL,
        stderr=open(Path(tmp) / "drain.log", "wb"),
    )  # fmt: skip
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
        "benchmark": "device_ingest_capacity", "database": connection.vendor,
        "devices": args.devices, "preloaded": args.preload, "stored": stored,
        "drain_s": round(elapsed, 1), "drain_per_s": round(stored / elapsed, 1),
        "batch_size": args.batch_size, "batch_ms": args.batch_ms, "setup_s": round(setup_s, 1),
        "machine": machine(),
    }  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
