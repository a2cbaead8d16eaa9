"""Rejected messages: pruned after a while; their raw bytes revealed, audited, for
diagnosis."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.devices import clock
from yiyang.devices.models import RejectedMessage, Rejection
from yiyang.devices.services.registry import require_device_in_scope


def rejected_messages_prune(*, now: datetime.datetime | None = None) -> int:
    """Drop rejected messages older than ``DEVICE_REJECTED_KEEP_DAYS`` (the counts stay)."""
    now = now or clock.now()
    cut = now - datetime.timedelta(days=settings.DEVICE_REJECTED_KEEP_DAYS)
    deleted, _by_model = RejectedMessage.objects.filter(received_at__lt=cut).delete()
    return deleted


def readable_bytes(raw: bytes) -> str:
    """Bytes as a person can read them: UTF-8 where it decodes, every other byte and every
    control character (NUL, escape…) as ``\\xNN``; line breaks and tabs kept."""
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(
        ch if ch in "\n\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F) else f"\\x{ord(ch):02x}"
        for ch in text
    )


def rejected_raw_reveal(
    *, actor: Actor, rejection: Rejection, messages: Sequence[RejectedMessage]
) -> list[dict[str, Any]]:
    """The messages' raw bytes unsealed for someone diagnosing a device (a payload may
    carry vital signs, so each reveal is in the audit log, like any full view)."""
    require_perm(actor, Permission.MANAGE_DEVICES)
    if rejection.device is not None:
        require_device_in_scope(actor, rejection.device)
    shown = []
    for message in messages:
        try:
            raw = crypto.decrypt_bytes(message.raw_sealed.encode("ascii"))
            text, readable = readable_bytes(raw), True
        except (crypto.DecryptionError, UnicodeError):
            text, readable = "", False
        shown.append(
            {
                "message": message,
                "text": text,
                "readable": readable,
                "capped": message.size > settings.DEVICE_REJECTED_RAW_BYTES,
            }
        )
    audit_record(
        actor=actor,
        action=AuditAction.VIEW_SEALED,
        obj=rejection.device,
        object_type="devices.rejectedmessage",
        object_repr=rejection.device_key[:255],
        division_code=rejection.device.division_code if rejection.device else "",
        changes={"reason": rejection.reason, "messages": len(shown)},
    )
    return shown
