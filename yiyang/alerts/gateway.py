"""The MQTT gateway: a thin adapter from the broker to :func:`device_messages_ingest`.

- Subscribes to ``yiyang/v1/devices/+/events`` with QoS 1 and a persistent session
  (MQTT 5 session expiry, or clean_session=False on 3.1.1), so the broker keeps messages
  while the gateway is down.
- Acknowledges (PUBACK) a message only after the transaction that stored it (and raised its
  alert) committed: a crash before that means redelivery, and redelivery is de-duplicated
  by (device, msg_id). Together: every alarm ends as exactly one stored event and one alert.
- Writes telemetry in batches (``DEVICE_BATCH_SIZE`` messages or
  ``DEVICE_BATCH_MILLISECONDS``).
- Alarms never wait behind telemetry: a message whose payload may be an alarm (it mentions
  sos, fall, smoke or gas, in any case: Yiyang's types and the vendors' codes) goes to a lane
  of its own, written at once in small batches by a thread with its own database connection.
  The test is a cheap pre-sort, not a decision: a false positive costs a small batch, and a
  message it misses still takes the telemetry lane (stored, only not ahead of the queue).
  A large receive window (MQTT 5 Receive Maximum) lets the broker hand over every message
  at once, so an SOS does not queue in the broker behind unacknowledged telemetry either.
- When the database is unavailable the batch is retried with back-off and nothing is
  acknowledged; bad messages are rejected, kept and acknowledged, never a crash and never
  a message retried forever (:func:`device_messages_ingest` isolates a poisoned one).
- Before it subscribes, the gateway probes whether the broker keeps the messages queued
  for a disconnected session (:func:`broker_check`); ``MQTT_BROKER_CHECK=refuse`` (the
  production default) stops it when the broker would drop them, naming the setting.
- Its status tells the truth: an error is shown while its cause lasts and cleared when it
  is gone (the history keeps both times); a reconnection the broker answers without the
  gateway's session (its queue lost) is kept in the history too; SIGTERM finishes the batch
  in hand and exits within seconds, leaving the rest unacknowledged for the broker to
  redeliver.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import queue
import re
import signal
import socket
import ssl
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django import db
from django.conf import settings
from django.utils import timezone
from paho.mqtt.exception import MalformedPacket

from yiyang.alerts.services import device_messages_ingest
from yiyang.devices.choices import Via
from yiyang.devices.decoders import printable
from yiyang.devices.services import Inbound, gateway_beat

logger = logging.getLogger("yiyang.gateway")
BEAT_SECONDS = 2.0
# Messages the broker may send before the gateway acknowledges any (MQTT 5's maximum): the
# backlog waits in the gateway's memory, where alarms can overtake it, not in the broker.
RECEIVE_MAXIMUM = 65535
ALARM_HINT = re.compile(rb"sos|fall|smoke|gas", re.IGNORECASE)
ALARM_BATCH = 1000
STOP_SECONDS = 3.0  # at most this long for the alarm lane's batch in hand on SIGTERM


_U16 = struct.Struct("!H")


class BatchingClient(mqtt.Client):
    """paho's client with two savings that matter at thousands of messages a second:

    - reads: paho reads each packet's fixed header a byte at a time (a system call each) and
      handles one packet per ``select()``; here the socket is read 64 KiB at a time and every
      packet buffered is handled before the next ``select()``;
    - acknowledgements: paho queues each PUBACK as a packet of its own and wakes its network
      thread for each; :meth:`ack_many` queues a batch's PUBACKs as one write;
    - QoS 1 messages go to ``on_qos1(mid, topic, payload)`` when it is set, without paho's
      message and MQTT 5 properties objects (the larger half of paho's cost per message).
    """

    on_qos1: Callable[[int, str, bytes], None] | None = None

    READ_CHUNK = 65536
    PACKETS_PER_READ = 2000  # then writes (acknowledgements) get their turn

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._buffer = b""
        self._buffer_pos = 0
        self._buffer_sock: Any = None

    def _buffered(self) -> bool:
        return self._buffer_sock is self._sock and self._buffer_pos < len(self._buffer)

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._buffer_sock is not self._sock:  # a new connection: forget the old one's bytes
            self._buffer, self._buffer_pos, self._buffer_sock = b"", 0, self._sock
        if self._buffer_pos >= len(self._buffer):
            data = super()._sock_recv(max(bufsize, self.READ_CHUNK))
            if len(data) <= bufsize:
                return data
            self._buffer, self._buffer_pos = data, 0
        start = self._buffer_pos
        self._buffer_pos = min(start + bufsize, len(self._buffer))
        return self._buffer[start : self._buffer_pos]

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        budget = self.PACKETS_PER_READ
        while rc == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS and self._buffered() and budget > 0:
            rc = super().loop_read(max_packets)
            budget -= 1
        return rc

    def _loop(self, timeout: float = 1.0) -> mqtt.MQTTErrorCode:
        if self._buffered():  # bytes already read: handle them without waiting in select()
            rc = self.loop_read()
            if rc or self._sock is None:
                return rc
            if self._buffered():
                timeout = 0.0
        return super()._loop(timeout)

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        header = self._in_packet["command"]
        handler = self.on_qos1
        if handler is None or (header & 0x06) != 0x02 or not self._manual_ack:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        try:
            (size,) = _U16.unpack_from(packet, 0)
            topic = bytes(packet[2 : 2 + size]).decode("utf-8", "replace")
            (mid,) = _U16.unpack_from(packet, 2 + size)
            pos = 4 + size
            if self._protocol == mqtt.MQTTv5:  # skip the properties
                length, shift = 0, 0
                while True:
                    byte = packet[pos]
                    pos += 1
                    length |= (byte & 0x7F) << shift
                    shift += 7
                    if not byte & 0x80:
                        break
                pos += length
        except (struct.error, IndexError):
            raise MalformedPacket("truncated PUBLISH") from None
        handler(mid, topic, bytes(packet[pos:]))
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_many(self, mids: list[int]) -> None:
        """PUBACK for each message id (QoS 1), sent as one write."""
        if mids:
            packet = b"".join([struct.pack("!BBH", mqtt.PUBACK, 2, mid) for mid in mids])
            self._packet_queue(mqtt.PUBACK, packet, 0, 1)


@dataclass(slots=True)
class Received:
    mid: int
    generation: int
    topic: str
    payload: bytes


def device_key(topic: str) -> str:
    """``yiyang/v1/devices/{device_id}/events`` -> device_id (or the topic, when it does not
    match: the ingestion service rejects it as an unknown device)."""
    parts = topic.split("/")
    if len(parts) == 5 and parts[:3] == ["yiyang", "v1", "devices"] and parts[4] == "events":
        return parts[3]
    return topic[:64]


class Gateway:
    def __init__(
        self,
        *,
        client_id: str,
        batch_size: int,
        batch_ms: int,
        url: str | None = None,
        receive_maximum: int = RECEIVE_MAXIMUM,
    ) -> None:
        self.client_id = client_id
        self.batch_size = batch_size
        self.batch_seconds = batch_ms / 1000
        self.receive_maximum = receive_maximum
        self.url = urlparse(str(url or settings.MQTT_URL))
        self.inbox: queue.Queue[Received] = queue.Queue()
        self.alarms: queue.Queue[Received] = queue.Queue()
        self.max_alarm_bytes = settings.DEVICE_MAX_PAYLOAD_BYTES
        self.counts_lock = threading.Lock()
        self.generation = 0
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.started_at = timezone.now()
        self.counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        # The error standing now, per cause ("mqtt", "database"): cleared when it is gone.
        self.errors: dict[str, str] = {}
        self.error_since: dict[str, Any] = {}
        # Errors that went away, written to the history by the next beat that succeeds (the
        # database may have been away for every beat in between). One a beat already recorded
        # as standing is closed at its true end (same text and start), so each is one row.
        self.unreported: list[tuple[str, Any, Any]] = []
        self.connections = 0  # accepted by the broker in this process
        self.client = self._client()

    @property
    def last_error(self) -> str:
        return "; ".join(text for _cause, text in sorted(self.errors.items()) if text)

    def _error(self, cause: str, text: str) -> None:
        with self.counts_lock:
            self.error_since.setdefault(cause, timezone.now())
            self.errors[cause] = printable(text, 300)

    def _cleared(self, cause: str) -> None:
        with self.counts_lock:
            text = self.errors.pop(cause, None)
            since = self.error_since.pop(cause, None)
            if text and since is not None:
                self.unreported.append((text, since, timezone.now()))

    # -- MQTT ---------------------------------------------------------------------------
    def _client(self) -> BatchingClient:
        v5 = settings.MQTT_PROTOCOL == "5"
        kwargs: dict[str, Any] = {
            "callback_api_version": mqtt.CallbackAPIVersion.VERSION2,
            "client_id": self.client_id,
            "protocol": mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            "manual_ack": True,
        }
        if not v5:
            kwargs["clean_session"] = False
        client = BatchingClient(**kwargs)
        client.max_inflight_messages_set(1000)  # outgoing: the gateway publishes nothing
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        if settings.MQTT_USERNAME:
            client.username_pw_set(settings.MQTT_USERNAME, settings.MQTT_PASSWORD or None)
        if self.url.scheme in ("mqtts", "ssl") or settings.MQTT_TLS_CA_FILE:
            client.tls_set(
                ca_certs=settings.MQTT_TLS_CA_FILE or None,
                certfile=settings.MQTT_TLS_CERT_FILE or None,
                keyfile=settings.MQTT_TLS_KEY_FILE or None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_qos1 = self._on_qos1
        return client

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            self._error("mqtt", f"connect refused: {reason}")
            logger.error("MQTT connect refused: %s", reason)
            return
        self._cleared("mqtt")
        if self.connections and not getattr(flags, "session_present", True):
            self._session_lost()
        self.connections += 1
        self.generation += 1
        client.subscribe(settings.MQTT_TOPIC, qos=1)
        self.connected.set()
        logger.info("connected to %s as %s", self.url.netloc, self.client_id)

    def _session_lost(self) -> None:
        """The broker took the gateway back without its persistent session: it restarted
        without persistence, was killed before it had saved the subscription, or the session
        expired. What devices published meanwhile was acknowledged to them and queued for
        nobody. Nothing stands to be cleared, so it goes into the history as an episode that
        began and ended now (and the log)."""
        text = (
            "session lost: the broker came back without this gateway's session; messages "
            "published while it was disconnected were not kept for it"
        )
        logger.error("%s", text)
        now = timezone.now()
        with self.counts_lock:
            self.unreported.append((text, now, now))

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.connected.clear()
        self.generation += 1  # message ids of the old connection must not be acknowledged
        if not self.stopping.is_set():
            self._error("mqtt", f"disconnected: {reason}")
            logger.warning("MQTT disconnected: %s", reason)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        """Messages at QoS 0 (a device may publish so): nothing to acknowledge (mid 0)."""
        mid = message.mid if message.qos == 1 else 0
        self._on_qos1(mid, message.topic, message.payload)

    def _on_qos1(self, mid: int, topic: str, payload: bytes) -> None:
        received = Received(mid, self.generation, topic, payload)
        if len(payload) <= self.max_alarm_bytes and ALARM_HINT.search(payload):
            self.alarms.put(received)
        else:
            self.inbox.put(received)

    def connect(self) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        port = self.url.port or (8883 if self.url.scheme in ("mqtts", "ssl") else 1883)
        host = self.url.hostname or "127.0.0.1"
        if settings.MQTT_PROTOCOL == "5":
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = settings.MQTT_SESSION_EXPIRY_SECONDS
            properties.ReceiveMaximum = self.receive_maximum
            self.client.connect_async(
                host, port, keepalive=30, clean_start=False, properties=properties
            )
        else:
            self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()

    # -- the write loop ---------------------------------------------------------------------
    def _next_batch(self) -> list[Received]:
        batch: list[Received] = []
        try:
            batch.append(self.inbox.get(timeout=0.5))
        except queue.Empty:
            return batch
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _alarm_loop(self) -> None:
        """The alarm lane: whatever alarms arrived, stored and acknowledged at once."""
        try:
            while not self.stopping.is_set():
                try:
                    batch = [self.alarms.get(timeout=0.2)]
                except queue.Empty:
                    continue
                while len(batch) < ALARM_BATCH:
                    try:
                        batch.append(self.alarms.get_nowait())
                    except queue.Empty:
                        break
                self._store(batch, beat=False)
        finally:
            db.connections.close_all()

    def _store(self, batch: list[Received], *, beat: bool = True) -> None:
        """Store the batch, retrying while the database is away; then acknowledge. A message
        that cannot be stored comes back as a rejection (kept) and is acknowledged too."""
        messages = [Inbound(device_key(r.topic), r.payload, Via.MQTT) for r in batch]
        delay = 0.5
        while True:
            try:
                stored = device_messages_ingest(messages=messages)
                break
            except (db.OperationalError, db.InterfaceError) as exc:
                self._error("database", f"database: {exc}")
                logger.warning("database unavailable, retrying in %.1fs: %s", delay, exc)
                db.close_old_connections()
                db.connections.close_all()
                if self.stopping.is_set():
                    return  # not acknowledged: the broker redelivers after restart
                self.stopping.wait(delay)
                delay = min(delay * 2, 5.0)
                if beat:
                    self._beat(force=False)
        self._cleared("database")
        with self.counts_lock:
            for outcome in stored.outcomes:
                self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        if self.connected.is_set():
            generation = self.generation
            self.client.ack_many([r.mid for r in batch if r.mid and r.generation == generation])

    _last_beat = 0.0

    def _beat(self, *, force: bool = True) -> None:
        if not force and time.monotonic() - self._last_beat < BEAT_SECONDS:
            return
        self._last_beat = time.monotonic()
        with self.counts_lock:
            episodes = list(self.unreported)
            since = min(self.error_since.values(), default=None)
        try:
            gateway_beat(
                name=f"mqtt:{self.client_id}:{socket.gethostname()}",
                started_at=self.started_at,
                connected=self.connected.is_set(),
                accepted=self.counts["accepted"],
                duplicates=self.counts["duplicate"],
                rejected=self.counts["rejected"],
                last_error=self.last_error,
                last_error_since=since,
                episodes=episodes,
            )
        except (db.OperationalError, db.InterfaceError) as exc:
            # The database is away even when no message waits: the outage is noticed (and
            # recorded as cleared at the first beat or batch that gets through).
            self._error("database", f"database: {exc}")
            db.connections.close_all()
            return
        with self.counts_lock:
            del self.unreported[: len(episodes)]
        self._cleared("database")  # it answered: an outage, if one stood, is over

    def run(self, *, install_signals: bool = True) -> None:
        if install_signals:
            signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
            signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        self.connect()
        alarm_lane = threading.Thread(target=self._alarm_loop, name="alarms", daemon=True)
        alarm_lane.start()
        try:
            while not self.stopping.is_set():
                batch = self._next_batch()
                if batch:
                    self._store(batch)
                if time.monotonic() - self._last_beat >= BEAT_SECONDS:
                    self._beat()
            # Stopping: the batch in hand was stored and acknowledged above; what waits in
            # memory is left unacknowledged, and the broker redelivers it to the next run.
            alarm_lane.join(STOP_SECONDS)
        finally:
            self.connected.clear()
            self._beat()
            self.client.disconnect()
            self.client.loop_stop()


# --------------------------------------------------------------------------------------------
# The client id and the broker check


def default_client_id() -> str:
    """``yiyang-<host>-<deployment>-<slot>``: unique per host, per deployment (a hash of its
    database) and per gateway process on the host (the lowest free slot, held by a lock for
    the life of the process), and the same again after a restart, so that a restarted
    gateway resumes its persistent session. Two deployments on one broker never share one."""
    database = settings.DATABASES["default"]
    deployment = hashlib.sha256(
        f"{database.get('HOST', '')}:{database.get('PORT', '')}/{database.get('NAME', '')}".encode()
    ).hexdigest()[:6]
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32]
    for slot in range(1, 100):
        path = os.path.join(tempfile.gettempdir(), f"yiyang-gateway-{deployment}-{slot}.lock")
        handle = open(path, "a")  # noqa: SIM115 - held open for the life of the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _held_locks.append(handle)
        return f"yiyang-{host}-{deployment}-{slot}"
    return f"yiyang-{host}-{deployment}-{os.getpid()}"


_held_locks: list[Any] = []


@dataclass
class BrokerReport:
    reachable: bool
    keeps_queue: bool
    detail: str
    version: str = ""


def _probe_client(client_id: str, *, clean: bool) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=clean,
    )
    if settings.MQTT_USERNAME:
        client.username_pw_set(settings.MQTT_USERNAME, settings.MQTT_PASSWORD or None)
    if settings.MQTT_TLS_CA_FILE:
        client.tls_set(
            ca_certs=settings.MQTT_TLS_CA_FILE,
            certfile=settings.MQTT_TLS_CERT_FILE or None,
            keyfile=settings.MQTT_TLS_KEY_FILE or None,
        )
    return client


def broker_check(url: str | None = None, *, messages: int | None = None) -> BrokerReport:
    """Probe the broker as the gateway depends on it: a persistent session subscribes, goes
    away, ``messages`` QoS 1 messages are published to it (more than Mosquitto's default
    ``max_queued_messages`` of 1,000), and it comes back: every one must be delivered. Also
    reads ``$SYS/broker/version`` when the broker publishes it."""
    parsed = urlparse(str(url or settings.MQTT_URL))
    host = parsed.hostname or "127.0.0.1"
    port = parsed.port or (8883 if parsed.scheme in ("mqtts", "ssl") else 1883)
    count = messages or settings.MQTT_BROKER_PROBE_MESSAGES
    token = uuid.uuid4().hex[:12]
    topic = f"{settings.MQTT_PROBE_TOPIC}/{token}"
    sub_id = f"yiyang-probe-{token}"
    received: set[bytes] = set()
    version: list[str] = []

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        if message.topic == "$SYS/broker/version":
            version.append(message.payload.decode("utf-8", "replace")[:80])
        else:
            received.add(message.payload)

    try:
        subscriber = _probe_client(sub_id, clean=False)
        subscribed = threading.Event()
        subscriber.on_message = on_message
        subscriber.on_subscribe = lambda *_args: subscribed.set()
        subscriber.connect(host, port, keepalive=10)
        subscriber.loop_start()
        subscriber.subscribe([(topic, 1), ("$SYS/broker/version", 0)])
        if not subscribed.wait(5):
            raise RuntimeError("the probe's subscription was not acknowledged")
        time.sleep(0.2)  # the retained $SYS version, if any
        subscriber.disconnect()
        subscriber.loop_stop()
        publisher = _probe_client(f"yiyang-probe-pub-{token}", clean=True)
        publisher.max_inflight_messages_set(100)
        publisher.max_queued_messages_set(0)
        publisher.connect(host, port, keepalive=10)
        publisher.loop_start()
        infos = [publisher.publish(topic, str(n).encode(), qos=1) for n in range(count)]
        for info in infos:
            info.wait_for_publish(10)
        publisher.disconnect()
        publisher.loop_stop()
        subscriber.reconnect()
        subscriber.loop_start()
        deadline, last = time.monotonic() + 15, -1
        while time.monotonic() < deadline and len(received) < count:
            time.sleep(0.3)
            if len(received) == last:
                break  # nothing more is coming
            last = len(received)
        subscriber.disconnect()
        subscriber.loop_stop()
        # Forget the probe's session.
        cleaner = _probe_client(sub_id, clean=True)
        cleaner.connect(host, port, keepalive=10)
        cleaner.disconnect()
    except (OSError, ValueError, RuntimeError) as exc:
        return BrokerReport(False, False, f"broker {host}:{port} unreachable: {exc}")
    name = version[0] if version else "version not published"
    if len(received) >= count:
        return BrokerReport(True, True, f"keeps queued messages ({count} of {count})", name)
    return BrokerReport(
        True,
        False,
        f"the broker kept {len(received)} of {count} messages queued for a disconnected "
        "session: it drops alarms during a gateway outage. Set max_queued_messages 1000000 "
        "and max_inflight_messages 0 (Mosquitto; see deploy/mosquitto/mosquitto.conf) or "
        "mqtt.max_mqueue_len (EMQX; see deploy/emqx/README.md)",
        name,
    )
