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
import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models, transaction


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


def rotate_bytes(token: bytes) -> bytes:
    """:func:`rotate` for a token kept as bytes (a sealed file or binary column)."""
    try:
        return _fernet(_keys()).rotate(bytes(token))
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


# --------------------------------------------------------------------------------------------
# Encrypted model fields: health data that the code reads and writes as plain values.
#
# The registry's own columns are explicit ``*_ciphertext`` columns written by its services
# (with masked copies beside them). Other apps' health columns (visit notes, alert details,
# vital signs, assessment totals...) are read whole by whoever may see the record, so they
# are encrypted by their field: the column holds a Fernet token, the model attribute the
# plain value. Such a column cannot be searched, sorted or counted by value (only compared
# with empty or null); where the product needs that, a coarse clear column sits beside it
# (docs/architecture.md, "Personal and health data, field by field").


class EncryptedMixin:
    """Encrypt on the way to the database, decrypt on the way back. Empty stays empty."""

    SEARCHABLE_LOOKUPS = frozenset({"exact", "isnull"})
    encrypted = True  # bulk writers (core.bulk) prepare its values, never pass them as they are

    def _dump(self, value: Any) -> str:
        return str(value)

    def _load(self, text: str) -> Any:
        return text

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return self._load(decrypt(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        return encrypt(self._dump(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in self.SEARCHABLE_LOOKUPS:
            raise FieldError(
                f"{self.__class__.__name__} holds ciphertext: it cannot be searched with "
                f"'{lookup_name}' (only compared with empty or null)."
            )
        return super().get_lookup(lookup_name)  # type: ignore[misc]


class EncryptedTextField(EncryptedMixin, models.TextField):
    """Free text (notes, details, messages), encrypted at rest."""

    def to_python(self, value: Any) -> Any:
        return value if value is None else str(value)


class EncryptedIntegerField(EncryptedMixin, models.TextField):
    """A number that is health data (an assessment's total), encrypted at rest."""

    # What the ORM takes and gives (for django-stubs; the column itself is text).
    _pyi_private_set_type: int | None  # type: ignore[assignment]
    _pyi_private_get_type: int | None  # type: ignore[assignment]

    def _load(self, text: str) -> int:
        return int(text)

    def to_python(self, value: Any) -> Any:
        return None if value in (None, "") else int(value)


class EncryptedFloatField(EncryptedMixin, models.TextField):
    """A measured value that is health data (a vital sign), encrypted at rest."""

    def _dump(self, value: Any) -> str:
        return repr(float(value))

    def _load(self, text: str) -> float:
        return float(text)

    def to_python(self, value: Any) -> Any:
        return None if value in (None, "") else float(value)


SEALED_PART_KEY = "_sealed"


def seal_parts(data: Any, keys: Iterable[str]) -> Any:
    """A JSON object with the members named by ``keys`` moved into one Fernet token under
    ``_sealed`` (the rest stays readable for the rules and state that need it). Used by the
    field below and by bulk writers that bypass the ORM (the device ingest's COPY)."""
    if not isinstance(data, dict):
        return data
    hidden = {key: data[key] for key in keys if key in data}
    if not hidden:
        return data
    kept = {key: value for key, value in data.items() if key not in hidden}
    kept[SEALED_PART_KEY] = encrypt(_compact_json(hidden))
    return kept


def unseal_parts(data: Any) -> Any:
    if not isinstance(data, dict) or SEALED_PART_KEY not in data:
        return data
    opened = {key: value for key, value in data.items() if key != SEALED_PART_KEY}
    # Trusted: the platform wrote this token itself (Fernet authenticates it).
    opened.update(json.loads(decrypt(data[SEALED_PART_KEY])))  # noqa: TID251
    return opened


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class PartlySealedJSONField(models.JSONField):
    """A JSON object whose health members (``sealed_keys``) are encrypted at rest, together,
    and whose other members stay plain JSON."""

    def __init__(self, *args: Any, sealed_keys: Iterable[str] = (), **kwargs: Any) -> None:
        self.sealed_keys = tuple(sealed_keys)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sealed_keys"] = self.sealed_keys
        return name, path, args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(seal_parts(value, self.sealed_keys))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return unseal_parts(super().from_db_value(value, expression, connection))


def encrypted_columns(model: type[models.Model]) -> list[str]:
    """The names of a model's fields encrypted by their field class."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedMixin | PartlySealedJSONField)
    ]


def sealed_columns(model: type[models.Model]) -> list[str]:
    """Every column of ``model`` that holds Fernet tokens at rest: the fields encrypted by
    their class, the token columns a service fills (``SEALED_FIELDS``) and the JSON columns
    that may carry a sealed member (``SEALED_JSON_FIELDS``). Key rotation covers each one;
    tests/security/test_encrypted_fields.py finds them all by this function."""
    return [
        *encrypted_columns(model),
        *getattr(model, "SEALED_FIELDS", ()),
        *getattr(model, "SEALED_JSON_FIELDS", ()),
    ]


def sealed_tokens_rotate(model: type[models.Model], columns: Iterable[str]) -> int:
    """Re-encrypt the tokens a service wrote into ``columns`` (text or bytes) with the
    current primary key, row by row (a re-run is safe); returns the rows written."""
    columns = list(columns)
    done = 0
    for row in model._default_manager.only("pk", *columns).iterator(chunk_size=1000):
        for column in columns:
            token = getattr(row, column)
            if isinstance(token, bytes | memoryview) and token:
                setattr(row, column, rotate_bytes(bytes(token)))
            elif isinstance(token, str) and token:
                setattr(row, column, rotate(token))
        row.save(update_fields=columns)
        done += 1
    return done


def sealed_parts_rotate(model: type[models.Model], columns: Iterable[str]) -> int:
    """Re-encrypt the sealed member (``_sealed``, see :func:`seal_parts`) of each JSON
    object in ``columns``; the readable members are left as they are."""
    done = 0
    for column in columns:
        rows = model._default_manager.filter(**{f"{column}__has_key": SEALED_PART_KEY})
        for row in rows.only("pk", column).iterator(chunk_size=1000):
            data = getattr(row, column)
            data[SEALED_PART_KEY] = rotate(data[SEALED_PART_KEY])
            model._default_manager.filter(pk=row.pk).update(**{column: data})
            done += 1
    return done


def encrypted_fields_rotate(*, batch_size: int = 1000) -> dict[str, int]:
    """Re-encrypt every value of every encrypted field with the current primary key: each
    row read (decrypted with whichever key made it) and written back (encrypted with the
    first), in batches that commit separately, so a crash loses nothing and a re-run is
    safe. Returns the rows re-written per model."""
    counts: dict[str, int] = {}
    for model in django_apps.get_models():
        columns = encrypted_columns(model)
        if not columns:
            continue
        label = model._meta.label_lower
        counts[label] = 0
        last: Any = None
        while True:
            with transaction.atomic():
                queryset = model._default_manager.order_by("pk").only("pk", *columns)
                if last is not None:
                    queryset = queryset.filter(pk__gt=last)
                batch = list(queryset[:batch_size])
                if not batch:
                    break
                model._default_manager.bulk_update(batch, columns)
            counts[label] += len(batch)
            last = batch[-1].pk
    return counts


def migrate_encrypt(
    model: Any, fields: Iterable[str], *, sealed_json: Iterable[str] = (), batch_size: int = 1000
) -> None:
    """For data migrations: encrypt the existing plain values of ``fields`` (text, or
    numbers as their text) and seal the health members ``sealed_json`` of a JSON ``data``
    column, with ``model`` the historical model whose fields are still plain. Values that
    are already tokens are left alone, so a re-run is safe."""
    fields = list(fields)
    keys = tuple(sealed_json)
    columns = fields + (["data"] if keys else [])
    queryset = model._default_manager.order_by("pk").only("pk", *columns)
    batch: list[Any] = []
    for row in queryset.iterator(chunk_size=batch_size):
        for name in fields:
            value = getattr(row, name)
            if value is None or value == "" or str(value).startswith("gAAAAA"):
                continue
            text = repr(float(value)) if isinstance(value, float) else str(value)
            setattr(row, name, encrypt(text))
        if keys:
            row.data = seal_parts(row.data, keys)
        batch.append(row)
        if len(batch) >= batch_size:
            model._default_manager.bulk_update(batch, columns)
            batch = []
    if batch:
        model._default_manager.bulk_update(batch, columns)
