"""Field-level encryption, key rotation and the blind index."""

from __future__ import annotations

from typing import Any as SettingsWrapper

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from yiyang.core import crypto

ID = "11010519491231002X"


def test_round_trip_and_no_plaintext_in_the_token() -> None:
    token = crypto.encrypt(ID)
    assert crypto.decrypt(token) == ID
    assert ID not in token
    assert crypto.encrypt(ID) != token  # random IV: equal values do not look equal


def test_key_rotation(settings: SettingsWrapper) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    stored = crypto.encrypt(ID)
    # Step 1: the new key goes first; old values still decrypt.
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(stored) == ID
    # Step 2: re-encrypt what is stored under the new key.
    rotated = crypto.rotate(stored)
    # Step 3: the old key is removed; rotated values decrypt, unrotated ones no longer do.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == ID
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored)


def test_missing_or_malformed_keys_fail_clearly(settings: SettingsWrapper) -> None:
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS is not set"):
        crypto.encrypt(ID)
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        crypto.encrypt(ID)


def test_blind_index_is_keyed_deterministic_and_purpose_bound(settings: SettingsWrapper) -> None:
    first = crypto.blind_index(ID, purpose="id_number")
    assert first == crypto.blind_index(ID, purpose="id_number")
    assert first != crypto.blind_index(ID, purpose="phone")
    settings.FIELD_HASH_KEY = "another-key"
    assert crypto.blind_index(ID, purpose="id_number") != first
    settings.FIELD_HASH_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        crypto.blind_index(ID, purpose="id_number")


def test_blind_index_is_hmac_sha256_of_purpose_and_value(settings: SettingsWrapper) -> None:
    # Stored index values depend on this exact construction: it must never drift.
    import hashlib
    import hmac

    settings.FIELD_HASH_KEY = "a-key"
    expected = hmac.new(b"a-key", b"elder.phone\x0013800138000", hashlib.sha256).hexdigest()
    assert crypto.blind_index("13800138000", purpose="elder.phone") == expected
