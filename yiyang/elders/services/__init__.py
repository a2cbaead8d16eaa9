"""The elders app owns the registry: one record per elder (identity, where they live, how
they live, health, contacts, consents, status), its history, the review of possible
duplicates and the log of every unmasked view or export of sensitive fields.

Every write validates the whole record first and writes nothing when any field is wrong;
errors are a ``ValidationError`` keyed by field. Sensitive fields are encrypted here and
nowhere else; history keeps their masked forms (and the full values sealed). Split by
workflow; import from here (the parsing and sensitive-field helpers below are re-exported
for the callers that always took them from here)."""

from yiyang.elders.parsing import CellError, normalise_phone
from yiyang.elders.sensitive import elder_health, elder_id_number, id_hash, phone_hash
from yiyang.elders.services.access import (
    Revealed,
    access_logged,
    elder_export_logged,
    elder_reveal,
    export_fields,
)
from yiyang.elders.services.consents import consent_record, consent_withdraw, family_member_link
from yiyang.elders.services.contacts import contact_add, contact_remove, contact_update
from yiyang.elders.services.duplicates import duplicate_review, near_duplicates_find
from yiyang.elders.services.keys import field_keys_rotate
from yiyang.elders.services.records import (
    CHOICE_FIELDS,
    CONDITIONS,
    ELDER_OBJECT_TYPE,
    PLAIN_FIELDS,
    RECORD_COLUMNS,
    RECORD_FIELDS,
    SECRET_FIELDS,
    SEXES,
    STATUSES,
    TEXT_LIMITS,
    Record,
    duplicate_key,
    record_apply,
    record_changes,
    record_of,
    record_secrets,
    validate_record,
)
from yiyang.elders.services.registry import elder_ability_level_set, elder_create, elder_update

__all__ = [
    "CHOICE_FIELDS",
    "CONDITIONS",
    "ELDER_OBJECT_TYPE",
    "PLAIN_FIELDS",
    "RECORD_COLUMNS",
    "RECORD_FIELDS",
    "SECRET_FIELDS",
    "SEXES",
    "STATUSES",
    "TEXT_LIMITS",
    "CellError",
    "Record",
    "Revealed",
    "access_logged",
    "consent_record",
    "consent_withdraw",
    "contact_add",
    "contact_remove",
    "contact_update",
    "duplicate_key",
    "duplicate_review",
    "elder_ability_level_set",
    "elder_create",
    "elder_export_logged",
    "elder_health",
    "elder_id_number",
    "elder_reveal",
    "elder_update",
    "export_fields",
    "family_member_link",
    "field_keys_rotate",
    "id_hash",
    "near_duplicates_find",
    "normalise_phone",
    "phone_hash",
    "record_apply",
    "record_changes",
    "record_of",
    "record_secrets",
    "validate_record",
]
