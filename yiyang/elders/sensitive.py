"""Reading and writing the encrypted fields of an elder record, and their masked forms.

Nothing here checks permissions or logs access: callers do (``services.elder_reveal``).
"""

from __future__ import annotations

import json
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


def id_hash(number: str) -> str:
    return crypto.blind_index(number, purpose=ID_PURPOSE)


def phone_hash(number: str) -> str:
    return crypto.blind_index(number, purpose=PHONE_PURPOSE)


def seal(value: Any) -> str:
    """Encrypt a JSON-able value; an empty value is stored as the empty string."""
    if value in (None, "", [], {}):
        return ""
    return crypto.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def unseal(token: str, default: Any) -> Any:
    if not token:
        return default
    return json.loads(crypto.decrypt(token))


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


@lru_cache(maxsize=65536)
def pinyin_initials(name: str) -> str:
    """张三丰 -> ZSF; letters in a name are kept, other characters dropped."""
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for part in letters for ch in part if ch.isascii() and ch.isalpha()).upper()[
        :20
    ]
