"""Notification channels: one class per way of reaching people, chosen by name in settings
(``ALERT_NOTIFICATION_CHANNELS``). A channel delivers one notification and says whether it
went out; the alert monitor records every attempt and retries failures with back-off
(:func:`yiyang.alerts.services.notifications_deliver`). A channel never raises into the
alert flow: what goes wrong is its :class:`Delivery` (the monitor also catches the rest).

Built here: ``outbox`` (in-app: the notification is kept for the outbox page, which is what
the demo shows), ``log`` (the server log), ``email`` (Django's e-mail backend) and ``sms``
(an HTTP SMS gateway). A new channel is a new class registered the same way.

Addresses: a family contact's e-mail is the one kept (encrypted) for notifications and
their phone the first mobile number of the contact (both unsealed only here, when sending);
community workers and provider managers are reached at their account's e-mail; escalation
tiers at the addresses the settings give (``ALERT_TIER_EMAILS``, ``ALERT_TIER_PHONES``).
Attempt details name the address masked.
"""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from yiyang.accounts.models import User
from yiyang.alerts.choices import RecipientKind
from yiyang.alerts.models import ContactEmail
from yiyang.core import crypto, safejson
from yiyang.elders.sensitive import contact_phones

logger = logging.getLogger("yiyang.alerts.notifications")


@dataclass(frozen=True)
class Delivery:
    ok: bool
    detail: str = ""
    # A failure worth trying again later (False: no address, or refused for good).
    retry: bool = True


class Channel:
    name: ClassVar[str]

    def deliver(self, notification: Any) -> Delivery:  # pragma: no cover - abstract
        raise NotImplementedError


CHANNELS: dict[str, Channel] = {}


def register(cls: type[Channel]) -> type[Channel]:
    CHANNELS[cls.name] = cls()
    return cls


@register
class OutboxChannel(Channel):
    """In-app: the message waits in the outbox page for the recipient."""

    name = "outbox"

    def deliver(self, notification: Any) -> Delivery:
        return Delivery(True, "in the outbox")


@register
class LogChannel(Channel):
    name = "log"

    def deliver(self, notification: Any) -> Delivery:
        logger.warning("notification to %s: %s", notification.recipient, notification.message)
        return Delivery(True, "written to the log")


# --------------------------------------------------------------------------------------------
# Addresses


def mask_email(address: str) -> str:
    local, _at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(number: str) -> str:
    digits = "".join(c for c in number if c.isdigit())
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def email_addresses(notification: Any) -> list[str]:
    """Where an e-mail for this notification goes (none: the recipient has no address)."""
    kind = notification.recipient_kind
    if kind == RecipientKind.CONTACT:
        row = ContactEmail.objects.filter(contact_id=notification.contact_id).first()
        return [crypto.decrypt(row.email_ciphertext)] if row is not None else []
    if kind in (RecipientKind.COMMUNITY, RecipientKind.PROVIDER, RecipientKind.OFFICER):
        email = (
            User.objects.filter(username=notification.recipient, is_active=True)
            .values_list("email", flat=True)
            .first()
        )
        return [email] if email else []
    if kind == RecipientKind.TIER:
        return list(settings.ALERT_TIER_EMAILS.get(notification.recipient, []))
    return []


def _mobile_first(numbers: list[str]) -> list[str]:
    mobiles = [n for n in numbers if len(n) == 11 and n.startswith("1") and n.isdigit()]
    return mobiles[:1] or numbers[:1]


def phone_numbers(notification: Any) -> list[str]:
    """Where an SMS for this notification goes: a contact's first mobile number, or the
    tier's numbers (accounts hold no phone number, so workers are reached otherwise)."""
    kind = notification.recipient_kind
    if kind == RecipientKind.CONTACT and notification.contact is not None:
        return _mobile_first(contact_phones(notification.contact))
    if kind == RecipientKind.TIER:
        return list(settings.ALERT_TIER_PHONES.get(notification.recipient, []))
    return []


# --------------------------------------------------------------------------------------------
# E-mail


@register
class EmailChannel(Channel):
    """E-mail through Django's e-mail backend (SMTP in production: EMAIL_HOST and friends)."""

    name = "email"

    def deliver(self, notification: Any) -> Delivery:
        addresses = email_addresses(notification)
        if not addresses:
            return Delivery(False, "no e-mail address for this recipient", retry=False)
        masked = ", ".join(mask_email(a) for a in addresses)
        subject = notification.message.splitlines()[0][:120] if notification.message else ""
        message = EmailMessage(
            subject=subject,
            body=notification.message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=addresses,
            connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        )
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused:
            return Delivery(False, f"refused by the mail server: {masked}", retry=False)
        except (smtplib.SMTPException, OSError) as exc:
            return Delivery(False, f"mail server: {type(exc).__name__}: {exc}"[:300])
        return Delivery(True, f"e-mailed to {masked}")


# --------------------------------------------------------------------------------------------
# SMS through an HTTP gateway


@register
class SmsChannel(Channel):
    """An SMS through the operator's HTTP gateway: ``POST SMS_GATEWAY_URL`` with JSON
    ``{"to", "template_id", "params": {"message"}, "reference"}`` and
    ``Authorization: Bearer SMS_GATEWAY_KEY``. ``reference`` (also the ``Idempotency-Key``
    header) is the notification's id, so a gateway that received a retried request once
    already can drop it. A 2xx answer is success unless its JSON says otherwise (``"ok":
    false`` or a non-zero ``code``); timeouts, network errors, 5xx, 408 and 429 are retried;
    other 4xx answers are final."""

    name = "sms"

    def deliver(self, notification: Any) -> Delivery:
        numbers = phone_numbers(notification)
        if not numbers:
            return Delivery(False, "no mobile number for this recipient", retry=False)
        if not settings.SMS_GATEWAY_URL:
            return Delivery(False, "no SMS gateway configured (SMS_GATEWAY_URL)")
        results = [self._send(notification, number) for number in numbers]
        ok = all(r.ok for r in results)
        detail = "; ".join(r.detail for r in results)[:300]
        return Delivery(ok, detail, retry=any(r.retry for r in results if not r.ok))

    def _send(self, notification: Any, number: str) -> Delivery:
        masked = mask_phone(number)
        reference = str(notification.external_id)
        body = json.dumps(
            {
                "to": number,
                "template_id": settings.SMS_TEMPLATE_ID,
                "params": {"message": notification.message},
                "reference": reference,
            },
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            settings.SMS_GATEWAY_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_KEY}",
                "Idempotency-Key": reference,
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.SMS_TIMEOUT_SECONDS
            ) as response:
                status, payload = response.status, response.read(4096)
        except urllib.error.HTTPError as exc:
            text = exc.read(300).decode("utf-8", "replace").strip()
            final = 400 <= exc.code < 500 and exc.code not in (408, 429)
            return Delivery(
                False, f"SMS gateway HTTP {exc.code} for {masked}: {text}"[:300], retry=not final
            )
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return Delivery(False, f"SMS gateway unreachable for {masked}: {reason}"[:300])
        answer: Any = {}
        with contextlib.suppress(UnicodeDecodeError, ValueError):  # not JSON: the status says
            answer = safejson.loads(payload) if payload.strip() else {}
        if isinstance(answer, dict):
            code = answer.get("code", 0)
            if answer.get("ok") is False or str(code) not in ("0", "OK", "ok", "200", "success"):
                message = answer.get("message") or answer.get("msg") or ""
                return Delivery(False, f"SMS gateway refused {masked}: {code} {message}"[:300])
            sent_id = answer.get("id") or answer.get("message_id") or answer.get("biz_id")
            if sent_id:
                return Delivery(True, f"SMS to {masked} accepted (HTTP {status}, id {sent_id})")
        return Delivery(True, f"SMS to {masked} accepted (HTTP {status})")
