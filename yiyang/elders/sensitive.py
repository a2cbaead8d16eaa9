"""Reading and writing the encrypted fields of an elder record, and their masked forms.

Nothing here checks permissions or logs access: callers do (``services.elder_reveal``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin

from yiyang.core import crypto
from yiyang.core.idnumber import mask_id_number
from yiyang.elders.models import Elder, ElderContact
from yiyang.elders.parsing import mask_phone

ID_PURPOSE = "elder.id_number"
PHONE_PURPOSE = "elder.phone"
MASK = "***"


@dataclass
class Health:
    chronic_conditions: list[str] = field(default_factory=list)
    disability_certificate: str = ""
    family_doctor: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "chronic_conditions": list(self.chronic_conditions),
            "disability_certificate": self.disability_certificate,
            "family_doctor": self.family_doctor,
        }


@dataclass
class Ahead:
    """Work done ahead of the writes, by the worker processes of a large import: Fernet
    tokens by plaintext, blind-index hashes and pinyin initials by input. :func:`seal`,
    :func:`id_hash`, :func:`phone_hash` and :func:`pinyin_initials` take from it (inside
    :func:`computed_ahead`) when their input matches, and compute as usual otherwise.

    A token is taken once: two equal plaintexts get two tokens made for them, never one
    token shared (a Fernet token carries its own random IV)."""

    tokens: dict[str, list[str]] = field(default_factory=dict)
    hashes: dict[tuple[str, str], str] = field(default_factory=dict)
    initials: dict[str, str] = field(default_factory=dict)

    def seal(self, value: Any) -> None:
        """Make one token for ``value``, for one later :func:`seal` of the same value."""
        text = _sealed_text(value)
        if text is not None:
            self.tokens.setdefault(text, []).append(crypto.encrypt(text))

    def id_hash(self, number: str) -> None:
        self.hashes[(ID_PURPOSE, number)] = crypto.blind_index(number, purpose=ID_PURPOSE)

    def phone_hash(self, number: str) -> None:
        self.hashes[(PHONE_PURPOSE, number)] = crypto.blind_index(number, purpose=PHONE_PURPOSE)

    def name(self, name: str) -> None:
        self.initials[name] = _initials(name)

    def token_count(self) -> int:
        return sum(len(tokens) for tokens in self.tokens.values())


_AHEAD: ContextVar[Ahead | None] = ContextVar("elder_ahead", default=None)


@contextmanager
def computed_ahead(ahead: Ahead | None) -> Iterator[None]:
    """Let the sealing and hashing in this block take what ``ahead`` holds."""
    reset = _AHEAD.set(ahead)
    try:
        yield
    finally:
        _AHEAD.reset(reset)


def _blind(value: str, purpose: str) -> str:
    ahead = _AHEAD.get()
    if ahead is not None:
        found = ahead.hashes.get((purpose, value))
        if found is not None:
            return found
    return crypto.blind_index(value, purpose=purpose)


def id_hash(number: str) -> str:
    return _blind(number, ID_PURPOSE)


def phone_hash(number: str) -> str:
    return _blind(number, PHONE_PURPOSE)


# json.dumps with options builds an encoder per call: one encoder, the same text.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _sealed_text(value: Any) -> str | None:
    if value in (None, "", [], {}):
        return None
    return _JSON.encode(value)


def seal(value: Any) -> str:
    """Encrypt a JSON-able value; an empty value is stored as the empty string."""
    text = _sealed_text(value)
    if text is None:
        return ""
    ahead = _AHEAD.get()
    if ahead is not None:
        tokens = ahead.tokens.get(text)
        if tokens:
            return tokens.pop()  # taken: never handed out again
    return crypto.encrypt(text)


def unseal(token: str, default: Any) -> Any:
    if not token:
        return default
    # Trusted: a token the platform sealed itself (Fernet authenticates it).
    return json.loads(crypto.decrypt(token))  # noqa: TID251


def elder_id_number(elder: Elder) -> str:
    return str(unseal(elder.id_number_ciphertext, ""))


def elder_phones(elder: Elder) -> list[str]:
    return list(unseal(elder.phones_ciphertext, []))


def elder_insurance_number(elder: Elder) -> str:
    return str(unseal(elder.insurance_number_ciphertext, ""))


def elder_health(elder: Elder) -> Health:
    data = unseal(elder.health_ciphertext, {})
    return Health(
        chronic_conditions=list(data.get("chronic_conditions", [])),
        disability_certificate=str(data.get("disability_certificate", "")),
        family_doctor=str(data.get("family_doctor", "")),
    )


def contact_phones(contact: ElderContact) -> list[str]:
    return list(unseal(contact.phones_ciphertext, []))


def masked_phones(phones: list[str]) -> str:
    return ", ".join(mask_phone(p) for p in phones)[:120]


def mask_insurance_number(number: str) -> str:
    if not number:
        return ""
    return "*" * max(len(number) - 4, 0) + number[-4:] if len(number) > 6 else MASK


def masked_id(number: str) -> str:
    return mask_id_number(number)


def pinyin_initials(name: str) -> str:
    """张三丰 -> ZSF; letters in a name are kept, other characters dropped."""
    ahead = _AHEAD.get()
    if ahead is not None:
        found = ahead.initials.get(name)
        if found is not None:
            return found
    return _initials(name)


@lru_cache(maxsize=65536)
def _initials(name: str) -> str:
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for part in letters for ch in part if ch.isascii() and ch.isalpha()).upper()[
        :20
    ]
