"""A caregiver's ID number: one keyed hash per person, encrypted and masked like the elders'.

The purpose string differs from the elder registry's, so the same ID number gives unrelated
hashes in the two registries (a caregiver who is also an elder is not linked by it).
"""

from __future__ import annotations

from yiyang.core import crypto
from yiyang.core.idnumber import mask_id_number

ID_PURPOSE = "caregiver-id"


def id_hash(number: str) -> str:
    return crypto.blind_index(number, purpose=ID_PURPOSE)


def id_fields(number: str) -> dict[str, str]:
    """The three stored columns of a validated 18-character number."""
    return {
        "id_number_hash": id_hash(number),
        "id_number_ciphertext": crypto.encrypt(number),
        "id_number_masked": mask_id_number(number),
    }


def id_number_of(person: object) -> str:
    """The clear ID number of a person (callers check the permission and log it)."""
    ciphertext = getattr(person, "id_number_ciphertext", "")
    return crypto.decrypt(ciphertext) if ciphertext else ""
