"""The MQTT gateway: a thin adapter from the broker to :func:`device_messages_ingest`.

- Subscribes to ``yiyang/v1/devices/+/events`` with QoS 1 and a persistent session
  (MQTT 5 session expiry, or clean_session=False on 3.1.1), so the broker keeps messages
  while the gateway is down.
- Acknowledges (PUBACK) a message only after the transaction that stored it (and raised its
  alert) committed: a crash before that means redelivery, and redelivery is de-duplicated
  by (device, msg_id). Together: every alarm ends as exactly one stored event and one alert.
- Writes in batches (``DEVICE_BATCH_SIZE`` messages or ``DEVICE_BATCH_MILLISECONDS``).
- When the database is unavailable the batch is retried with back-off and nothing is
  acknowledged; bad messages are rejected and counted, never a crash.
"""

from __future__ import annotations

import logging
import queue
import signal
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from django import db
from django.conf import settings
from django.utils import timezone

from yiyang.alerts.services import device_messages_ingest
from yiyang.devices.choices import Via
from yiyang.devices.services import Inbound, gateway_beat

logger = logging.getLogger("yiyang.gateway")
BEAT_SECONDS = 2.0


@dataclass
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
        self, *, client_id: str, batch_size: int, batch_ms: int, url: str | None = None
    ) -> None:
        self.client_id = client_id
        self.batch_size = batch_size
        self.batch_seconds = batch_ms / 1000
        self.url = urlparse(url or settings.MQTT_URL)
        self.inbox: queue.Queue[Received] = queue.Queue()
        self.generation = 0
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.started_at = timezone.now()
        self.counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        self.last_error = ""
        self.client = self._client()

    # -- MQTT ---------------------------------------------------------------------------
    def _client(self) -> Any:
        import paho.mqtt.client as mqtt

        v5 = settings.MQTT_PROTOCOL == "5"
        kwargs: dict[str, Any] = {
            "callback_api_version": mqtt.CallbackAPIVersion.VERSION2,
            "client_id": self.client_id,
            "protocol": mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            "manual_ack": True,
        }
        if not v5:
            kwargs["clean_session"] = False
        client = mqtt.Client(**kwargs)
        client.max_inflight_messages_set(1000)
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
        self.inbox.put(Received(message.mid, self.generation, message.topic, message.payload))

    def connect(self) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        port = self.url.port or (8883 if self.url.scheme in ("mqtts", "ssl") else 1883)
        host = self.url.hostname or "127.0.0.1"
        if settings.MQTT_PROTOCOL == "5":
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = settings.MQTT_SESSION_EXPIRY_SECONDS
            properties.ReceiveMaximum = 1000
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

    def _store(self, batch: list[Received]) -> None:
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
                self._beat(force=False)
            except Exception:
                logger.exception("ingestion failed for a batch of %d", len(batch))
                if len(batch) == 1:
                    # Not acknowledged either: logged loudly; the broker redelivers it on
                    # reconnect. The rest of the stream goes on.
                    return
                for single in batch:
                    self._store([single])
                return
        for outcome in stored.outcomes:
            self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        for received in batch:
            if received.generation == self.generation and self.connected.is_set():
                self.client.ack(received.mid, 1)

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
        finally:
            self.connected.clear()
            self._beat()
            self.client.disconnect()
            self.client.loop_stop()
