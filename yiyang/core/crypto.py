"""Field-level encryption of personal data, and keyed hashes for exact lookup.

- ``FIELD_ENCRYPTION_KEYS``: comma-separated Fernet keys (AES-128-CBC + HMAC-SHA256). The
  first encrypts; every key decrypts, so a key is rotated by putting a new one first,
  re-encrypting the stored values (:func:`rotate`), then removing the old one.
- ``FIELD_HASH_KEY``: the HMAC-SHA256 key of the blind index, which lets the registry find
  a record by its exact ID number or phone without storing either in clear. Changing it
  means recomputing every index value.

Production must set both (``<NAME>_FILE`` works too); demo mode generates them into
``var/``; tests use fixed keys. See docs/operations.md for the rotation procedure.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(ValueError):
    """A stored value that no configured key can decrypt."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is not set: personal data cannot be stored without a key. "
            "Make one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def _keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS)


def encrypt(plaintext: str) -> str:
    """A fresh token for ``plaintext`` (never the same twice: random IV, timestamp)."""
    return _fernet(_keys()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise DecryptionError("no configured key decrypts this value") from None


def encrypt_bytes(data: bytes) -> bytes:
    """Encrypt a whole file (uploads held until a job has read them)."""
    return _fernet(_keys()).encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet(_keys()).decrypt(token)
    except InvalidToken:
        raise DecryptionError("no configured key decrypts this value") from None


def rotate(token: str) -> str:
    """The same plaintext, re-encrypted with the current primary key."""
    try:
        return _fernet(_keys()).rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError("no configured key decrypts this value") from None


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash of a normalised value, for exact lookup. ``purpose`` separates kinds
    (an ID number and a phone with the same digits hash differently)."""
    key = settings.FIELD_HASH_KEY
    if not key:
        raise ImproperlyConfigured("FIELD_HASH_KEY is not set.")
    mac = _keyed_hmac(key).copy()
    mac.update(f"{purpose}\x00{value}".encode())
    return mac.hexdigest()


@lru_cache(maxsize=4)
def _keyed_hmac(key: str) -> hmac.HMAC:
    """The HMAC state after the key (copied per value: an import hashes 400,000 values)."""
    return hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)
