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
  acknowledged; bad messages are rejected and counted, never a crash.
"""

from __future__ import annotations

import logging
import queue
import re
import signal
import socket
import ssl
import struct
import threading
import time
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
from yiyang.devices.services import Inbound, gateway_beat

logger = logging.getLogger("yiyang.gateway")
BEAT_SECONDS = 2.0
# Messages the broker may send before the gateway acknowledges any (MQTT 5's maximum): the
# backlog waits in the gateway's memory, where alarms can overtake it, not in the broker.
RECEIVE_MAXIMUM = 65535
ALARM_HINT = re.compile(rb"sos|fall|smoke|gas", re.IGNORECASE)
ALARM_BATCH = 200


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
        self, *, client_id: str, batch_size: int, batch_ms: int, url: str | None = None,
        receive_maximum: int = RECEIVE_MAXIMUM,
    ) -> None:  # fmt: skip
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
        self.last_error = ""
        self.client = self._client()

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
            self.last_error = f"connect refused: {reason}"
            logger.error("MQTT connect refused: %s", reason)
            return
        self.generation += 1
        client.subscribe(settings.MQTT_TOPIC, qos=1)
        self.connected.set()
        logger.info("connected to %s as %s", self.url.netloc, self.client_id)

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self.connected.clear()
        self.generation += 1  # message ids of the old connection must not be acknowledged
        if not self.stopping.is_set():
            self.last_error = f"disconnected: {reason}"
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
            self.client.connect_async(host, port, keepalive=30, clean_start=False,
                                      properties=properties)  # fmt: skip
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
            while not self.stopping.is_set() or not self.alarms.empty():
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
        """Store the batch, retrying while the database is away; then acknowledge."""
        messages = [Inbound(device_key(r.topic), r.payload, Via.MQTT) for r in batch]
        delay = 0.5
        while True:
            try:
                stored = device_messages_ingest(messages=messages)
                break
            except (db.OperationalError, db.InterfaceError) as exc:
                self.last_error = f"database: {exc}"[:300]
                logger.warning("database unavailable, retrying in %.1fs: %s", delay, exc)
                db.close_old_connections()
                db.connections.close_all()
                if self.stopping.is_set():
                    return  # not acknowledged: the broker redelivers after restart
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                if beat:
                    self._beat(force=False)
            except Exception:
                logger.exception("ingestion failed for a batch of %d", len(batch))
                if len(batch) == 1:
                    # Not acknowledged either: logged loudly; the broker redelivers it on
                    # reconnect. The rest of the stream goes on.
                    return
                for single in batch:
                    self._store([single], beat=beat)
                return
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
        try:
            gateway_beat(
                name=f"mqtt:{self.client_id}:{socket.gethostname()}",
                started_at=self.started_at, connected=self.connected.is_set(),
                accepted=self.counts["accepted"], duplicates=self.counts["duplicate"],
                rejected=self.counts["rejected"], last_error=self.last_error,
            )  # fmt: skip
        except (db.OperationalError, db.InterfaceError):
            db.connections.close_all()

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
            # Drain what arrived: stored and acknowledged before leaving.
            while not self.inbox.empty():
                batch = self._next_batch()
                if batch:
                    self._store(batch)
            alarm_lane.join(30)
        finally:
            self.connected.clear()
            self._beat()
            self.client.disconnect()
            self.client.loop_stop()
