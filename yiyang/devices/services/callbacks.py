"""HTTP callbacks of vendor clouds: their signature, timestamp and replay check."""

from __future__ import annotations

import datetime
import hashlib
import hmac

from django.conf import settings
from django.db import IntegrityError, transaction

from yiyang.devices import clock
from yiyang.devices.choices import RejectReason
from yiyang.devices.decoders import DECODERS, DecodeError
from yiyang.devices.models import CallbackNonce


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``<timestamp>.<body>``, hex: what a vendor sends and we check."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def callback_verify(
    *,
    vendor: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: datetime.datetime | None = None,
) -> None:
    """Check a vendor callback's signature, timestamp and that it was not seen before;
    remember its signature for the replay window. Raises :class:`DecodeError`."""
    now = now or clock.now()
    secret = settings.DEVICE_VENDOR_SECRETS.get(vendor)
    if not secret or vendor not in DECODERS:
        raise DecodeError(RejectReason.BAD_SIGNATURE, "X-Yiyang-Vendor", "unknown vendor")
    try:
        signed_at = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        raise DecodeError(
            RejectReason.MISSING_FIELD, "X-Yiyang-Timestamp", "epoch seconds required"
        ) from None
    expected = callback_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, (signature or "").strip().lower()):
        raise DecodeError(RejectReason.BAD_SIGNATURE, "X-Yiyang-Signature", "signature mismatch")
    window = datetime.timedelta(seconds=settings.DEVICE_CALLBACK_WINDOW_SECONDS)
    if signed_at > now + window:
        raise DecodeError(
            RejectReason.FUTURE_TIMESTAMP, "X-Yiyang-Timestamp", "timestamp lies in the future"
        )
    if signed_at < now - window:
        raise DecodeError(
            RejectReason.STALE_TIMESTAMP,
            "X-Yiyang-Timestamp",
            "timestamp outside the replay window",
        )
    with transaction.atomic():
        CallbackNonce.objects.filter(signed_at__lt=now - 2 * window).delete()
        try:
            with transaction.atomic():
                CallbackNonce.objects.create(vendor=vendor, signature=expected, signed_at=signed_at)
        except IntegrityError:
            raise DecodeError(
                RejectReason.REPLAYED, "X-Yiyang-Signature", "this request was received before"
            ) from None
