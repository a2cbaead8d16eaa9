"""Notification channels: e-mail through Django's backend and SMS through an HTTP gateway
(a real HTTP server in a thread stands in for it). Every attempt is recorded with its result;
failures are retried with back-off, missing addresses fail at once, nothing raises into the
alert flow. Contacts' e-mail addresses are kept encrypted and shown masked."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client

from tests.alerts.helpers import Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World, login
from yiyang.alerts.models import Alert, ContactEmail, Notification
from yiyang.alerts.services import contact_email_set, device_messages_ingest, notifications_deliver
from yiyang.core.models import AuditEvent


class FakeSmsGateway:
    """An HTTP SMS gateway: answers each POST with the next scripted (status, body, delay)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, Any, float]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                gateway.requests.append(
                    {
                        "body": json.loads(self.rfile.read(length)),
                        "headers": dict(self.headers),
                    }
                )
                status, body, delay = (
                    gateway.script.pop(0) if gateway.script else (200, {"code": 0}, 0)
                )
                time.sleep(delay)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings: Any) -> Iterator[FakeSmsGateway]:
    fake = FakeSmsGateway()
    settings.SMS_GATEWAY_URL = fake.url
    settings.SMS_GATEWAY_KEY = "sms-key"
    settings.SMS_TEMPLATE_ID = "SMS_0042"
    settings.SMS_TIMEOUT_SECONDS = 1
    yield fake
    fake.close()


@pytest.fixture
def sos(world: World, clock: Clock, settings: Any) -> Any:
    """An SOS raised with the e-mail and SMS channels on: notifications to the first
    contact (李强) and to the community worker, one per channel."""
    settings.ALERT_NOTIFICATION_CHANNELS = ["email", "sms"]
    elder = elder_with_contacts(world)
    device = bound_device(world, elder)
    device_messages_ingest(messages=[msg(device, "sos", ts=clock.at.isoformat())])
    return Alert.objects.get()


def one(channel: str, recipient_kind: str) -> Notification:
    return Notification.objects.get(channel=channel, recipient_kind=recipient_kind)


def attempts(notification: Notification) -> list[tuple[bool, str]]:
    return list(notification.attempt_log.order_by("id").values_list("ok", "detail"))


def set_email(world: World, alert: Any, address: str = "liqiang@example.cn") -> Any:
    contact = alert.elder.contacts.get(name="李强")
    contact_email_set(actor=world.user["community_worker"], contact=contact, email=address)
    return contact


# --- e-mail -----------------------------------------------------------------------------


def test_an_email_goes_to_the_contacts_address_and_the_worker(
    world: World, sos: Any, gateway: FakeSmsGateway
) -> None:
    set_email(world, sos)
    world.user["community_worker"].email = "worker@example.cn"
    world.user["community_worker"].save()
    notifications_deliver()
    sent = sorted((m.to, m.subject) for m in mail.outbox)
    assert [to for to, _subject in sent] == [["liqiang@example.cn"], ["worker@example.cn"]]
    assert all(subject.startswith("[Critical] SOS key pressed") for _to, subject in sent)
    contact = one("email", "contact")
    assert (contact.status, contact.attempts) == ("sent", 1)
    assert attempts(contact) == [(True, "e-mailed to l***@example.cn")]


def test_no_address_fails_at_once_and_is_not_retried(world: World, sos: Any) -> None:
    notifications_deliver()
    contact = one("email", "contact")
    assert (contact.status, attempts(contact)) == (
        "failed",
        [(False, "no e-mail address for this recipient")],
    )
    assert mail.outbox == []


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


def test_a_mail_server_failure_is_recorded_and_retried_with_backoff(
    world: World, sos: Any, clock: Clock, settings: Any
) -> None:
    set_email(world, sos)
    settings.EMAIL_BACKEND = "tests.alerts.test_channels.RefusingBackend"
    notifications_deliver()
    contact = one("email", "contact")
    assert (contact.status, contact.attempts) == ("pending", 1)
    assert attempts(contact) == [(False, "mail server: ConnectionRefusedError: mail server down")]
    assert contact.next_attempt_at == clock.at + datetime.timedelta(seconds=30)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_deliver()  # not due yet
    assert one("email", "contact").attempts == 1
    clock.advance(seconds=30)
    notifications_deliver()
    contact.refresh_from_db()
    assert (contact.status, contact.attempts, len(mail.outbox)) == ("sent", 2, 1)


# --- SMS --------------------------------------------------------------------------------


def test_an_sms_is_posted_to_the_gateway_with_key_template_and_reference(
    sos: Any, gateway: FakeSmsGateway
) -> None:
    gateway.script = [(200, {"code": 0, "id": "gw-1"}, 0)]
    notifications_deliver()
    contact = one("sms", "contact")
    assert (contact.status, attempts(contact)) == (
        "sent",
        [(True, "SMS to 139****9000 accepted (HTTP 200, id gw-1)")],
    )
    [request] = gateway.requests  # the worker has no phone on record: no request for it
    assert request["body"]["to"] == "13900139000"
    assert request["body"]["template_id"] == "SMS_0042"
    assert request["body"]["reference"] == str(contact.external_id)
    assert request["body"]["params"]["message"].startswith("[Critical] SOS key pressed")
    assert request["headers"]["Authorization"] == "Bearer sms-key"
    assert request["headers"]["Idempotency-Key"] == str(contact.external_id)
    worker = one("sms", "community")
    assert (worker.status, attempts(worker)) == (
        "failed",
        [(False, "no mobile number for this recipient")],
    )


def test_a_gateway_error_is_retried_until_it_goes_through(
    sos: Any, gateway: FakeSmsGateway, clock: Clock
) -> None:
    gateway.script = [
        (503, {"message": "busy"}, 0),
        (200, {"code": 1001, "message": "限流"}, 0),
        (200, {"code": "OK"}, 0),
    ]
    notifications_deliver()
    clock.advance(seconds=30)
    notifications_deliver()
    clock.advance(seconds=60)
    notifications_deliver()
    contact = one("sms", "contact")
    assert (contact.status, contact.attempts) == ("sent", 3)
    assert attempts(contact) == [
        (False, 'SMS gateway HTTP 503 for 139****9000: {"message": "busy"}'),
        (False, "SMS gateway refused 139****9000: 1001 限流"),
        (True, "SMS to 139****9000 accepted (HTTP 200)"),
    ]


def test_a_refused_number_is_final(sos: Any, gateway: FakeSmsGateway) -> None:
    gateway.script = [(400, {"message": "invalid number"}, 0)]
    notifications_deliver()
    contact = one("sms", "contact")
    assert (contact.status, contact.attempts) == ("failed", 1)


def test_a_slow_gateway_times_out_and_is_retried(sos: Any, gateway: FakeSmsGateway) -> None:
    gateway.script = [(200, {"code": 0}, 2.5)]
    started = time.monotonic()
    notifications_deliver()
    assert time.monotonic() - started < 2.5
    contact = one("sms", "contact")
    assert contact.status == "pending"
    [(ok, detail)] = attempts(contact)
    assert not ok and detail.startswith("SMS gateway unreachable for 139****9000")


def test_a_gateway_that_is_down_never_stops_the_alert_flow(
    world: World, clock: Clock, settings: Any
) -> None:
    settings.ALERT_NOTIFICATION_CHANNELS = ["sms"]
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.SMS_TIMEOUT_SECONDS = 1
    device = bound_device(world, elder_with_contacts(world))
    device_messages_ingest(messages=[msg(device, "sos", ts=clock.at.isoformat())])
    assert Alert.objects.get().kind == "sos"
    for _attempt in range(5):
        notifications_deliver()
        clock.advance(minutes=10)
    contact = one("sms", "contact")
    assert (contact.status, contact.attempts) == ("failed", 5)
    assert all(not ok and "unreachable" in detail for ok, detail in attempts(contact))


# --- contacts' e-mail addresses -----------------------------------------------------------


def test_a_contacts_email_is_encrypted_masked_and_audited(world: World, sos: Any) -> None:
    contact = set_email(world, sos, "liqiang@example.cn")
    row = ContactEmail.objects.get(contact=contact)
    assert row.email_masked == "l***@example.cn"
    assert "liqiang" not in row.email_ciphertext
    event = AuditEvent.objects.get(changes__contact="李强")
    assert event.changes["contact_email"] == [None, "l***@example.cn"]
    contact_email_set(actor=world.user["community_worker"], contact=contact, email="")
    assert not ContactEmail.objects.filter(contact=contact).exists()


def test_a_bad_address_or_actor_is_refused(world: World, sos: Any) -> None:
    contact = sos.elder.contacts.get(name="李强")
    with pytest.raises(ValidationError) as error:
        contact_email_set(actor=world.user["community_worker"], contact=contact, email="not-mail")
    assert set(error.value.message_dict) == {"email"}
    with pytest.raises(PermissionDenied):
        contact_email_set(actor=world.user["operator"], contact=contact, email="a@b.cn")
    with pytest.raises(PermissionDenied):
        contact_email_set(actor=world.user["worker_YA1a"], contact=contact, email="a@b.cn")
    assert ContactEmail.objects.count() == 0


def test_the_settings_page_sets_a_contacts_email(world: World, sos: Any) -> None:
    client = login(Client(), world.user["community_worker"])
    client.cookies["django_language"] = "en"
    contact = sos.elder.contacts.get(name="李强")
    url = f"/alerts/elders/{sos.elder.external_id}/contacts/{contact.external_id}/email/"
    assert client.post(url, {"email": "liqiang@example.cn"}).status_code == 302
    page = client.get(f"/alerts/elders/{sos.elder.external_id}/").content.decode()
    assert "l***@example.cn" in page and "liqiang@example.cn" not in page
    shown = client.post(url, {"email": "nope"}, follow=True).content.decode()
    assert "李强" in shown and ContactEmail.objects.get().email_masked == "l***@example.cn"
