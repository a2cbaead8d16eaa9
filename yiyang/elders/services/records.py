"""The elder's record as plain values: the field lists, validation, the one step that writes a
validated record onto the model (:func:`record_apply`, shared by the single write and the
bulk import) and the history entry of a change."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.models import Division
from yiyang.core.permissions import Actor
from yiyang.core.validation import coordinate_errors
from yiyang.elders.choices import (
    ETHNICITIES,
    AbilityLevel,
    ChronicCondition,
    EconomicStatus,
    ElderStatus,
    InsuranceType,
    LivingArrangement,
    LocationSource,
    MaritalStatus,
    Sex,
)
from yiyang.elders.models import Elder
from yiyang.elders.parsing import CellError, normalise_phone
from yiyang.elders.sensitive import (
    MASK,
    Health,
    elder_health,
    elder_id_number,
    elder_insurance_number,
    elder_phones,
    id_hash,
    mask_insurance_number,
    masked_id,
    masked_phones,
    pinyin_initials,
    seal,
)

ELDER_OBJECT_TYPE = "elders.elder"


# Plain fields of the record, in the order history shows them.
PLAIN_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "community",
    "address",
    "lat",
    "lng",
    "living_arrangement",
    "marital_status",
    "economic_status",
    "insurance_type",
    "ability_level",
    "status",
    "status_changed_on",
    "deceased_on",
    "location_source",
)


# Sensitive fields: encrypted at rest, masked in history.
SECRET_FIELDS = (
    "id_number",
    "phones",
    "insurance_number",
    "chronic_conditions",
    "disability_certificate",
    "family_doctor",
)


RECORD_FIELDS = PLAIN_FIELDS + SECRET_FIELDS


CHOICE_FIELDS: dict[str, frozenset[str]] = {
    "living_arrangement": frozenset(LivingArrangement.values),
    "marital_status": frozenset(MaritalStatus.values),
    "economic_status": frozenset(EconomicStatus.values),
    "insurance_type": frozenset(InsuranceType.values),
    "ability_level": frozenset(AbilityLevel.values),
    "ethnicity": frozenset(ETHNICITIES),
}


STATUSES = frozenset(ElderStatus.values)


CONDITIONS = frozenset(ChronicCondition.values)


SEXES = frozenset(Sex.values)


TEXT_LIMITS = {
    "name": 50,
    "address": 200,
    "insurance_number": 40,
    "disability_certificate": 40,
    "family_doctor": 120,
}


@dataclass
class Record:
    """An elder's whole record as plain Python values (sensitive ones in clear)."""

    name: str = ""
    id_number: str = ""
    sex: str = ""
    birth_date: datetime.date | None = None
    ethnicity: str = ""
    phones: list[str] = field(default_factory=list)
    community: Division | None = None
    address: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None
    location_source: str = LocationSource.NONE
    living_arrangement: str = ""
    marital_status: str = ""
    economic_status: str = EconomicStatus.NONE
    insurance_type: str = ""
    insurance_number: str = ""
    chronic_conditions: list[str] = field(default_factory=list)
    disability_certificate: str = ""
    family_doctor: str = ""
    ability_level: str = ""
    status: str = ElderStatus.ACTIVE
    status_changed_on: datetime.date | None = None
    deceased_on: datetime.date | None = None

    def get(self, name: str) -> Any:
        return getattr(self, name)


def record_of(elder: Elder) -> Record:
    """Decrypt an elder into a Record (for comparison and edit forms; not for display): the
    sealed fields decrypted, every other field of the Record read from the elder as stored."""
    health = elder_health(elder)
    sealed: dict[str, Any] = {
        "id_number": elder_id_number(elder),
        "phones": elder_phones(elder),
        "insurance_number": elder_insurance_number(elder),
        "chronic_conditions": health.chronic_conditions,
        "disability_certificate": health.disability_certificate,
        "family_doctor": health.family_doctor,
    }
    return Record(
        **{
            name: sealed[name] if name in sealed else getattr(elder, name)
            for name in Record.__dataclass_fields__
        }
    )


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _normalise_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Coerce loosely typed input (forms, API, imports) to the Record's types."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in values.items():
        if name in ("phones",):
            raw = value if isinstance(value, list | tuple) else ([value] if value else [])
            phones: list[str] = []
            for item in raw:
                try:
                    number = normalise_phone(str(item))
                except CellError as exc:
                    errors[name] = str(exc)
                    break
                if number not in phones:
                    phones.append(number)
            out[name] = phones
        elif name == "chronic_conditions":
            out[name] = sorted(set(value or []))
        elif name in ("lat", "lng"):
            out[name] = None if value in (None, "") else Decimal(str(value))
        elif name in ("birth_date", "deceased_on", "status_changed_on", "community"):
            out[name] = value or None
        elif name in TEXT_LIMITS or name in ("id_number", "sex", "status") or name in CHOICE_FIELDS:
            out[name] = _text(value)
        else:
            errors[name] = _("Unknown field.")
    return out, errors


def validate_record(
    record: Record,
    *,
    actor: Actor,
    instance: Elder | None,
    today: datetime.date | None = None,
    check_unique: bool = True,
) -> dict[str, str]:
    """Every problem with the record, by field. Empty when it may be written."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if not record.name:
        errors["name"] = _("Give the elder's name.")
    for name, limit in TEXT_LIMITS.items():
        if len(str(record.get(name))) > limit:
            errors[name] = _("At most %(n)d characters.") % {"n": limit}
    try:
        citizen = parse_citizen_id(record.id_number, today=today)
    except IdNumberError as exc:
        errors["id_number"] = str(exc) if record.id_number else _("Give the ID number.")
    else:
        record.id_number = citizen.number
        if record.sex and record.sex != citizen.sex:
            errors["sex"] = _("The ID number says %(id_sex)s, the record says %(sex)s.") % {
                "id_sex": Sex(citizen.sex).label,
                "sex": Sex(record.sex).label if record.sex in SEXES else record.sex,
            }
        if record.birth_date and record.birth_date != citizen.birth_date:
            errors["birth_date"] = _(
                "The ID number says born on %(id_date)s, the record says %(date)s."
            ) % {"id_date": citizen.birth_date.isoformat(), "date": record.birth_date.isoformat()}
        record.sex = citizen.sex
        record.birth_date = citizen.birth_date
        if check_unique:  # imports check a whole chunk at once; no queryset per row
            existing = Elder.objects.filter(id_number_hash=id_hash(citizen.number))
            if instance is not None:
                existing = existing.exclude(pk=instance.pk)
            if existing.exists():
                errors["id_number"] = _("An elder with this ID number is already registered.")
    for name, allowed in CHOICE_FIELDS.items():
        value = record.get(name)
        if value and value not in allowed:
            errors[name] = _("Unknown value %(value)s.") % {"value": value}
    if record.status not in STATUSES:
        errors["status"] = _("Unknown value %(value)s.") % {"value": record.status}
    for code in record.chronic_conditions:
        if code not in CONDITIONS:
            errors["chronic_conditions"] = _("Unknown condition %(value)s.") % {"value": code}
    community = record.community
    if community is None:
        errors["community"] = _("Say which community the elder lives in.")
    elif community.level != DivisionLevel.COMMUNITY:
        errors["community"] = _("Choose a community or village, not a higher division.")
    elif not actor.scope.covers(division_code=community.code, organisation_id=None):
        errors["community"] = _("This community lies outside your jurisdiction.")
    errors.update(coordinate_errors(lat=record.lat, lng=record.lng, division=community))
    if record.status == ElderStatus.DECEASED:
        if record.deceased_on is None:
            errors["deceased_on"] = _("Give the date of death.")
        elif record.deceased_on > today:
            errors["deceased_on"] = _("The date of death lies in the future.")
        elif record.birth_date and record.deceased_on < record.birth_date:
            errors["deceased_on"] = _("The date of death is before the birth date.")
    elif record.deceased_on is not None:
        errors["deceased_on"] = _("Only a deceased elder has a date of death.")
    if record.status == ElderStatus.DUPLICATE and (
        instance is None or instance.status != ElderStatus.DUPLICATE
    ):
        errors["status"] = _("A record is marked duplicate by the review of possible duplicates.")
    return errors


def record_secrets(record: Record) -> tuple[str, list[str], str, dict[str, Any] | None]:
    """What :func:`record_apply` encrypts, in clear: the ID number, the phones, the insurance
    number and the health data (``None`` when empty). Import workers seal the same values
    ahead of the writes."""
    health = Health(
        chronic_conditions=record.chronic_conditions,
        disability_certificate=record.disability_certificate,
        family_doctor=record.family_doctor,
    ).as_dict()
    return (
        record.id_number,
        record.phones,
        record.insurance_number,
        health if any(health.values()) else None,
    )


# The model columns :func:`record_apply` writes: every write of a record (one elder's save,
# an import's bulk update) saves exactly these, so a column added to the record cannot be
# left out of one path (tests/elders/test_write_path.py checks the model against it).
RECORD_COLUMNS = (
    "name",
    "name_initials",
    "id_number_ciphertext",
    "id_number_hash",
    "id_number_masked",
    "sex",
    "birth_date",
    "ethnicity",
    "phones_ciphertext",
    "phones_masked",
    "community",
    "division_code",
    "duplicate_key",
    "address",
    "lat",
    "lng",
    "location_source",
    "living_arrangement",
    "marital_status",
    "economic_status",
    "insurance_type",
    "insurance_number_ciphertext",
    "health_ciphertext",
    "ability_level",
    "status",
    "status_changed_on",
    "deceased_on",
)


def record_apply(elder: Elder, record: Record) -> None:
    """Write a validated Record onto the model (the columns of :data:`RECORD_COLUMNS`),
    encrypting what is sensitive. The one way a record reaches the model: forms, the API
    and imports all come through here."""
    assert record.community is not None
    assert record.birth_date is not None
    id_number, phones, insurance_number, health = record_secrets(record)
    elder.name = record.name
    elder.name_initials = pinyin_initials(record.name)
    number_hash = id_hash(id_number)
    if elder.pk is None or elder.id_number_hash != number_hash:
        elder.id_number_ciphertext = seal(id_number)
        elder.id_number_hash = number_hash
        elder.id_number_masked = masked_id(id_number)
    elder.sex = record.sex
    elder.birth_date = record.birth_date
    elder.ethnicity = record.ethnicity
    elder.phones_ciphertext = seal(phones)
    elder.phones_masked = masked_phones(record.phones)
    elder.community = record.community
    elder.division_code = record.community.code
    elder.duplicate_key = duplicate_key(record.community.pk, record.birth_date, record.name)
    elder.address = record.address
    elder.lat, elder.lng, elder.location_source = record.lat, record.lng, record.location_source
    elder.living_arrangement = record.living_arrangement
    elder.marital_status = record.marital_status
    elder.economic_status = record.economic_status or EconomicStatus.NONE
    elder.insurance_type = record.insurance_type
    elder.insurance_number_ciphertext = seal(insurance_number)
    elder.health_ciphertext = seal(health)
    elder.ability_level = record.ability_level
    elder.status = record.status
    elder.status_changed_on = record.status_changed_on
    elder.deceased_on = record.deceased_on


def _plain(value: Any) -> Any:
    if isinstance(value, Division):
        return value.code
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _masked(name: str, value: Any) -> Any:
    if value in (None, "", []):
        return value
    if name == "id_number":
        return masked_id(value)
    if name == "phones":
        return masked_phones(value)
    if name == "insurance_number":
        return mask_insurance_number(value)
    return MASK


def record_changes(before: Record | None, after: Record) -> dict[str, Any]:
    """History entry: ``{field: [old, new]}``, sensitive fields masked, and their full
    values sealed under ``_sealed`` (readable only with the encryption keys)."""
    changes: dict[str, Any] = {}
    sealed: dict[str, Any] = {}
    for name in RECORD_FIELDS:
        old = _plain(before.get(name)) if before is not None else None
        new = _plain(after.get(name))
        if old == new or (before is None and new in (None, "", [])):
            continue
        if name in SECRET_FIELDS:
            changes[name] = [_masked(name, old), _masked(name, new)]
            if changes[name][0] == changes[name][1]:
                changes[name] = [_masked(name, old), _("(changed)")]
            sealed[name] = [old, new]
        else:
            changes[name] = [old, new]
    if sealed:
        changes["_sealed"] = seal(sealed)
    return changes


def duplicate_key(community_id: int, birth_date: datetime.date, name: str) -> str:
    text = f"{community_id}|{birth_date.isoformat()}|{name}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
