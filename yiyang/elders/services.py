"""The elders app owns the registry: one record per elder (identity, where they live, how
they live, health, contacts, consents, status), its history, the review of possible
duplicates and the log of every unmasked view or export of sensitive fields.

Every write validates the whole record first and writes nothing when any field is wrong;
errors are a ``ValidationError`` keyed by field. Sensitive fields are encrypted here and
nowhere else; history keeps their masked forms (and the full values sealed).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.context import current_origin
from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.core.validation import coordinate_errors
from yiyang.elders.choices import (
    ETHNICITIES,
    AbilityLevel,
    AccessAction,
    ChronicCondition,
    ConsentGiver,
    ConsentPurpose,
    DuplicateStatus,
    EconomicStatus,
    ElderStatus,
    InsuranceType,
    LivingArrangement,
    LocationSource,
    MaritalStatus,
    Relation,
    SensitiveField,
    Sex,
)
from yiyang.elders.geocoding import Geocoder, record_locate
from yiyang.elders.models import (
    AccessLog,
    AccessLogEntry,
    Consent,
    DuplicateCandidate,
    Elder,
    ElderContact,
    ElderLookup,
    FamilyMember,
    ImportJob,
)
from yiyang.elders.parsing import CellError, normalise_phone
from yiyang.elders.permissions import visible_fields
from yiyang.elders.sensitive import (
    MASK,
    Health,
    contact_phones,
    elder_health,
    elder_id_number,
    elder_insurance_number,
    elder_phones,
    id_hash,
    mask_insurance_number,
    masked_id,
    masked_phones,
    phone_hash,
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

# --------------------------------------------------------------------------------------------
# The record as plain values: validated, compared, written


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
    """Decrypt an elder into a Record (for comparison and edit forms; not for display)."""
    health = elder_health(elder)
    return Record(
        name=elder.name,
        id_number=elder_id_number(elder),
        sex=elder.sex,
        birth_date=elder.birth_date,
        ethnicity=elder.ethnicity,
        phones=elder_phones(elder),
        community=elder.community,
        address=elder.address,
        lat=elder.lat,
        lng=elder.lng,
        living_arrangement=elder.living_arrangement,
        marital_status=elder.marital_status,
        economic_status=elder.economic_status,
        insurance_type=elder.insurance_type,
        insurance_number=elder_insurance_number(elder),
        chronic_conditions=health.chronic_conditions,
        disability_certificate=health.disability_certificate,
        family_doctor=health.family_doctor,
        ability_level=elder.ability_level,
        location_source=elder.location_source,
        status=elder.status,
        status_changed_on=elder.status_changed_on,
        deceased_on=elder.deceased_on,
    )


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _normalise_values(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
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
    """What :func:`_apply` encrypts, in clear: the ID number, the phones, the insurance
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


def _apply(elder: Elder, record: Record) -> None:
    """Write a validated Record onto the model, encrypting what is sensitive."""
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


def _lookups(elder: Elder, phones: Sequence[str], kind: str) -> list[ElderLookup]:
    return [ElderLookup(elder=elder, kind=kind, value_hash=phone_hash(p)) for p in phones]


def _refresh_lookups(elder: Elder) -> None:
    ElderLookup.objects.filter(elder=elder).delete()
    rows = _lookups(elder, elder_phones(elder), ElderLookup.Kind.PHONE)
    seen = {row.value_hash for row in rows}
    for contact in elder.contacts.filter(is_active=True):
        for row in _lookups(elder, contact_phones(contact), ElderLookup.Kind.CONTACT_PHONE):
            if row.value_hash not in seen:
                rows.append(row)
                seen.add(row.value_hash)
    ElderLookup.objects.bulk_create(rows, ignore_conflicts=True)


def _history(actor: Actor, elder: Elder, action: str, changes: dict[str, Any]) -> AuditEvent:
    return audit_record(
        actor=actor,
        action=action,
        obj=elder,
        object_type=ELDER_OBJECT_TYPE,
        object_repr=str(elder),
        division_code=elder.division_code,
        changes=changes,
    )


def duplicate_key(community_id: int, birth_date: datetime.date, name: str) -> str:
    text = f"{community_id}|{birth_date.isoformat()}|{name}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def near_duplicates_find(elders: Sequence[Elder]) -> list[DuplicateCandidate]:
    """Record (never merge) pairs with the same name and birth date in the same community
    and a different ID number. Returns the new candidates."""
    if not elders:
        return []
    keys = {e.duplicate_key for e in elders}
    others = (
        Elder.objects.filter(duplicate_key__in=keys)
        .exclude(status=ElderStatus.DUPLICATE)
        .values_list("id", "duplicate_key", "division_code")
    )  # plain values: an import asks for thousands at once
    by_key: dict[str, list[tuple[int, str]]] = {}
    for pk, key, code in others:
        by_key.setdefault(key, []).append((pk, code))
    found: dict[frozenset[int], DuplicateCandidate] = {}
    for elder in elders:
        for other_pk, other_code in by_key.get(elder.duplicate_key, []):
            pair = frozenset({elder.pk, other_pk})
            if other_pk == elder.pk or pair in found:
                continue
            # The later record is the one to review, in its own community.
            if elder.pk > other_pk:
                later, earlier, code = elder.pk, other_pk, elder.division_code
            else:
                later, earlier, code = other_pk, elder.pk, other_code
            found[pair] = DuplicateCandidate(elder_id=later, other_id=earlier, division_code=code)
    return DuplicateCandidate.objects.bulk_create(list(found.values()), ignore_conflicts=True)


@transaction.atomic
def elder_create(*, actor: Actor, **values: Any) -> Elder:
    """Register an elder. Sex and birth date come from the ID number (and must agree with
    any given); a same-name, same-birthday record in the community goes to review."""
    require_perm(actor, Permission.MANAGE_ELDERS)
    cleaned, errors = _normalise_values(values)
    record = Record(**cleaned)
    record_locate(record, before=None, geocoder=Geocoder())
    errors = validate_record(record, actor=actor, instance=None) | errors
    if errors:
        raise ValidationError(errors)
    elder = Elder()
    _apply(elder, record)
    elder.save()
    _refresh_lookups(elder)
    _history(actor, elder, AuditAction.CREATE, record_changes(None, record))
    near_duplicates_find([elder])
    return elder


@transaction.atomic
def elder_update(*, actor: Actor, elder: Elder, **values: Any) -> Elder:
    """Change an elder in the actor's jurisdiction; only the given fields change."""
    require_perm(actor, Permission.MANAGE_ELDERS)
    elder = Elder.objects.select_for_update().select_related("community").get(pk=elder.pk)
    before = record_of(elder)
    cleaned, errors = _normalise_values(values)
    after = Record(**(before.__dict__ | cleaned))
    if after.status != before.status and "status_changed_on" not in cleaned:
        after.status_changed_on = timezone.localdate()
    if after.status != ElderStatus.DECEASED and "deceased_on" not in cleaned:
        after.deceased_on = None
    record_locate(after, before=before, geocoder=Geocoder())
    errors = validate_record(after, actor=actor, instance=elder) | errors
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        errors["community"] = _("This elder lies outside your jurisdiction.")
    if errors:
        raise ValidationError(errors)
    changes = record_changes(before, after)
    if not changes:
        return elder
    _apply(elder, after)
    elder.save()
    if "phones" in changes:
        _refresh_lookups(elder)
    _history(actor, elder, AuditAction.UPDATE, changes)
    if {"name", "birth_date", "community"} & set(changes):
        near_duplicates_find([elder])
    return elder


@transaction.atomic
def elder_ability_level_set(*, actor: Actor, elder: Elder, level: str, source: str) -> Elder:
    """Write the ability level of a final assessment (``source``: its external id) to the
    record and its history. Called by the assessments app only, whose reviewer may not
    otherwise edit the registry; the assessment's own checks (role, scope) already ran."""
    if level not in AbilityLevel.values:
        raise ValidationError({"ability_level": _("Unknown ability level.")})
    elder = Elder.objects.select_for_update().get(pk=elder.pk)
    if elder.ability_level == level:
        return elder
    changes = {"ability_level": [elder.ability_level, level], "assessment": source}
    elder.ability_level = level
    elder.save(update_fields=["ability_level", "updated_at"])
    _history(actor, elder, AuditAction.UPDATE, changes)
    return elder


# --------------------------------------------------------------------------------------------
# Emergency contacts


def _contact_errors(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    name = _text(values.get("name"))
    if not name:
        errors["name"] = _("Give the contact's name.")
    elif len(name) > 50:
        errors["name"] = _("At most %(n)d characters.") % {"n": 50}
    relation = _text(values.get("relation"))
    if relation not in Relation.values:
        errors["relation"] = _("Choose how the contact is related to the elder.")
    cleaned, phone_errors = _normalise_values({"phones": values.get("phones") or []})
    errors.update(phone_errors)
    if not phone_errors and not cleaned["phones"]:
        errors["phones"] = _("Give at least one phone number for the contact.")
    out = {"name": name, "relation": relation, "phones": cleaned.get("phones", [])}
    out["is_first_to_call"] = bool(values.get("is_first_to_call"))
    return out, errors


def _contact_snapshot(contact: ElderContact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "relation": contact.relation,
        "phones": contact.phones_masked,
        "first": contact.is_first_to_call,
    }


def _contact_write(elder: Elder, contact: ElderContact, values: dict[str, Any]) -> None:
    contact.name = values["name"]
    contact.relation = values["relation"]
    contact.phones_ciphertext = seal(values["phones"])
    contact.phones_masked = masked_phones(values["phones"])
    others = elder.contacts.filter(is_active=True).exclude(pk=contact.pk)
    if values["is_first_to_call"]:
        others.filter(is_first_to_call=True).update(is_first_to_call=False)
    elif not others.filter(is_first_to_call=True).exists():
        values["is_first_to_call"] = True  # someone must be first to call
    contact.is_first_to_call = values["is_first_to_call"]
    if contact.pk is None:
        contact.position = others.count() + 1
    contact.save()


def _require_manage(actor: Actor, elder: Elder) -> None:
    require_perm(actor, Permission.MANAGE_ELDERS)
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise ValidationError(_("This elder lies outside your jurisdiction."))


@transaction.atomic
def contact_add(*, actor: Actor, elder: Elder, **values: Any) -> ElderContact:
    """Add an emergency contact; the first one (or one marked so) is first to call."""
    _require_manage(actor, elder)
    cleaned, errors = _contact_errors(values)
    if errors:
        raise ValidationError(errors)
    contact = ElderContact(elder=elder)
    _contact_write(elder, contact, cleaned)
    _refresh_lookups(elder)
    _history(
        actor, elder, AuditAction.UPDATE, {"contact_added": [None, _contact_snapshot(contact)]}
    )
    return contact


@transaction.atomic
def contact_update(*, actor: Actor, contact: ElderContact, **values: Any) -> ElderContact:
    elder = contact.elder
    _require_manage(actor, elder)
    current = {
        "name": contact.name,
        "relation": contact.relation,
        "phones": contact_phones(contact),
        "is_first_to_call": contact.is_first_to_call,
    }
    cleaned, errors = _contact_errors(current | values)
    if errors:
        raise ValidationError(errors)
    before = _contact_snapshot(contact)
    _contact_write(elder, contact, cleaned)
    _refresh_lookups(elder)
    after = _contact_snapshot(contact)
    if before != after:
        _history(actor, elder, AuditAction.UPDATE, {"contact": [before, after]})
    return contact


@transaction.atomic
def contact_remove(*, actor: Actor, contact: ElderContact) -> None:
    """Retire a contact (kept, inactive); the next one becomes first to call."""
    elder = contact.elder
    _require_manage(actor, elder)
    was_first = contact.is_first_to_call
    contact.is_active = False
    contact.is_first_to_call = False
    contact.save(update_fields=["is_active", "is_first_to_call", "updated_at"])
    if was_first:
        nxt = elder.contacts.filter(is_active=True).order_by("position", "id").first()
        if nxt is not None:
            nxt.is_first_to_call = True
            nxt.save(update_fields=["is_first_to_call", "updated_at"])
    _refresh_lookups(elder)
    _history(
        actor, elder, AuditAction.UPDATE, {"contact_removed": [_contact_snapshot(contact), None]}
    )


# --------------------------------------------------------------------------------------------
# Consent


@transaction.atomic
def consent_record(
    *,
    actor: Actor,
    elder: Elder,
    purpose: str,
    given_by: str,
    given_on: datetime.date,
    recipient: str = "",
    guardian_name: str = "",
    evidence: str = "",
) -> Consent:
    """Record what the elder (or guardian) agreed to share, with whom, when."""
    _require_manage(actor, elder)
    errors: dict[str, str] = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Choose what is consented to.")
    if given_by not in ConsentGiver.values:
        errors["given_by"] = _("Say who gave the consent.")
    if given_by == ConsentGiver.GUARDIAN and not _text(guardian_name):
        errors["guardian_name"] = _("Give the guardian's name.")
    if given_on is None:
        errors["given_on"] = _("Give the date of the consent.")
    elif given_on > timezone.localdate():
        errors["given_on"] = _("The date lies in the future.")
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(
        elder=elder,
        purpose=purpose,
        given_by=given_by,
        given_on=given_on,
        recipient=_text(recipient)[:120],
        guardian_name=_text(guardian_name)[:50],
        evidence=_text(evidence)[:200],
        recorded_by=actor_user(actor),
        recorded_by_username=str(getattr(actor, "username", "")),
    )
    _history(
        actor,
        elder,
        AuditAction.UPDATE,
        {"consent_given": [None, f"{purpose} {recipient} {given_on.isoformat()}".strip()]},
    )
    return consent


@transaction.atomic
def family_member_link(
    *, actor: Actor, elder: Elder, user: Any, relation: str, active: bool = True
) -> FamilyMember:
    """Link (or unlink) a family member's login to an elder. What the login may see of the
    elder's care also needs the elder's family-view consent."""
    require_perm(actor, Permission.LINK_FAMILY)
    _require_manage(actor, elder)
    errors: dict[str, str] = {}
    if getattr(user, "role", None) != "family":
        errors["user"] = _("Only a family-member login can be linked to an elder.")
    if relation not in Relation.values:
        errors["relation"] = _("Choose the relation from the list.")
    if errors:
        raise ValidationError(errors)
    link, created = FamilyMember.objects.get_or_create(
        user=user,
        elder=elder,
        defaults={"relation": relation, "is_active": active, "linked_by": actor_user(actor)},
    )
    before = None if created else [link.relation, link.is_active]
    if not created:
        link.relation, link.is_active = relation, active
        link.save(update_fields=["relation", "is_active", "updated_at"])
    _history(
        actor,
        elder,
        AuditAction.UPDATE,
        {"family_member": [before, [str(user.username), relation, active]]},
    )
    return link


@transaction.atomic
def consent_withdraw(
    *, actor: Actor, consent: Consent, on: datetime.date | None = None, reason: str = ""
) -> Consent:
    _require_manage(actor, consent.elder)
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    on = on or timezone.localdate()
    if on < consent.given_on or on > timezone.localdate():
        raise ValidationError({"on": _("Withdrawal lies between the consent and today.")})
    consent.withdrawn_on = on
    consent.withdrawn_by = actor_user(actor)
    consent.withdrawal_reason = _text(reason)[:200]
    consent.save()
    _history(
        actor,
        consent.elder,
        AuditAction.UPDATE,
        {"consent_withdrawn": [consent.purpose, on.isoformat()]},
    )
    return consent


# --------------------------------------------------------------------------------------------
# Possible duplicates


@transaction.atomic
def duplicate_review(
    *, actor: Actor, candidate: DuplicateCandidate, status: str, note: str = ""
) -> DuplicateCandidate:
    """Decide a possible duplicate. "Same person" marks the newer record as a duplicate of
    the older one (kept, out of lists, its history intact); nothing is deleted."""
    require_perm(actor, Permission.REVIEW_DUPLICATES)
    for elder in (candidate.elder, candidate.other):
        if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
            raise ValidationError(_("This record lies outside your jurisdiction."))
    if status not in (DuplicateStatus.DIFFERENT_PEOPLE, DuplicateStatus.SAME_PERSON):
        raise ValidationError({"status": _("Say whether these are the same person.")})
    if candidate.status != DuplicateStatus.OPEN:
        raise ValidationError(_("This pair was already reviewed."))
    candidate.status = status
    candidate.note = _text(note)[:200]
    candidate.reviewed_by = actor_user(actor)
    candidate.reviewed_at = timezone.now()
    candidate.save()
    if status == DuplicateStatus.SAME_PERSON:
        newer = candidate.elder
        before = newer.status
        newer.status = ElderStatus.DUPLICATE
        newer.duplicate_of = candidate.other
        newer.status_changed_on = timezone.localdate()
        newer.save(update_fields=["status", "duplicate_of", "status_changed_on", "updated_at"])
        _history(
            actor,
            newer,
            AuditAction.UPDATE,
            {
                "status": [before, ElderStatus.DUPLICATE],
                "duplicate_of": [None, str(candidate.other.external_id)],
            },
        )
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW,
        obj=candidate,
        division_code=candidate.division_code,
        changes={"status": [DuplicateStatus.OPEN, status]},
    )
    return candidate


# --------------------------------------------------------------------------------------------
# Sensitive fields: unmasked views and exports, each written to the access log


def access_logged(
    *, actor: Actor, action: str, fields: Sequence[str], elders: Sequence[tuple[int, str]]
) -> AccessLog | None:
    """Log that ``actor`` saw ``fields`` of these elders (pk, division code) unmasked."""
    if not fields or not elders:
        return None
    origin = current_origin()
    log = AccessLog.objects.create(
        actor=actor_user(actor),
        actor_username=str(getattr(actor, "username", ""))[:150],
        actor_role=str(actor.role),
        action=action,
        fields=list(fields),
        elder_count=len(elders),
        ip_address=origin.ip_address,
        user_agent=(origin.user_agent or "")[:255],
    )
    AccessLogEntry.objects.bulk_create(
        [AccessLogEntry(log=log, elder_id=pk, division_code=code) for pk, code in elders],
        batch_size=2000,
    )
    return log


@dataclass
class Revealed:
    """What a page or the API shows of an elder's sensitive fields: the clear value where
    the actor may see it (and it was logged), the masked value otherwise."""

    fields: list[str]
    id_number: str
    phones: list[str]
    insurance_number: str
    health: Health | None
    contact_phones: dict[int, list[str]]


@transaction.atomic
def elder_reveal(*, actor: Actor, elder: Elder, action: str = AccessAction.VIEW) -> Revealed:
    """The sensitive fields this actor may see, unmasked, and an access-log entry naming
    them. Fields the actor may not see come back masked and are not logged."""
    require_perm(actor, Permission.VIEW_ELDERS)
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise ValidationError(_("This elder lies outside your jurisdiction."))
    allowed = set(visible_fields(actor))
    shown: list[str] = []
    contacts = list(elder.contacts.filter(is_active=True))

    def has(name: str, empty: bool) -> bool:
        if name in allowed and not empty:
            shown.append(name)
            return True
        return False

    id_number = elder_id_number(elder) if has(SensitiveField.ID_NUMBER, False) else ""
    phones = elder_phones(elder) if has(SensitiveField.PHONES, not elder.phones_ciphertext) else []
    insurance = (
        elder_insurance_number(elder)
        if has(SensitiveField.INSURANCE_NUMBER, not elder.insurance_number_ciphertext)
        else ""
    )
    health = (
        elder_health(elder) if has(SensitiveField.HEALTH, not elder.health_ciphertext) else None
    )
    reveal_contacts = has(SensitiveField.CONTACT_PHONES, not contacts)
    by_contact = {c.pk: contact_phones(c) for c in contacts} if reveal_contacts else {}
    access_logged(
        actor=actor, action=action, fields=shown, elders=[(elder.pk, elder.division_code)]
    )
    return Revealed(
        fields=shown,
        id_number=id_number or elder.id_number_masked,
        phones=phones,
        insurance_number=insurance,
        health=health,
        contact_phones=by_contact,
    )


def export_fields(actor: Actor) -> list[str]:
    """Sensitive fields an export carries unmasked for this actor (exports need the export
    permission; the role's own visibility still applies)."""
    require_perm(actor, Permission.EXPORT_DATA)
    return [f for f in visible_fields(actor) if f != SensitiveField.CONTACT_PHONES]


def elder_export_logged(
    *, actor: Actor, elders: Sequence[tuple[int, str]], fields: Sequence[str], filters: Any
) -> None:
    """Record an export: the audit log gets the export, the access log every elder whose
    sensitive fields left the platform unmasked."""
    from yiyang.core.services import export_recorded

    export_recorded(
        actor=actor,
        permission=Permission.EXPORT_DATA,
        object_type=ELDER_OBJECT_TYPE,
        count=len(elders),
        filters=filters,
    )
    access_logged(actor=actor, action=AccessAction.EXPORT, fields=fields, elders=elders)


# --------------------------------------------------------------------------------------------
# Key rotation


def field_keys_rotate(
    *, actor: Actor, rehash: bool = False, batch_size: int = 1000
) -> dict[str, int]:
    """Re-encrypt every sensitive value with the first key of FIELD_ENCRYPTION_KEYS (after a
    new key was put first), so the old key can be removed. With ``rehash``, recompute the
    blind index after FIELD_HASH_KEY changed. Batches commit separately: safe to re-run."""
    require_perm(actor, Permission.MANAGE_DIVISIONS)  # a city administrator's job
    counts = {"elders": 0, "contacts": 0, "imports": 0}
    columns = (
        "id_number_ciphertext",
        "phones_ciphertext",
        "insurance_number_ciphertext",
        "health_ciphertext",
    )
    last = 0
    while True:
        with transaction.atomic():
            batch = list(Elder.objects.filter(pk__gt=last).order_by("pk")[:batch_size])
            if not batch:
                break
            for elder in batch:
                for column in columns:
                    token = getattr(elder, column)
                    if token:
                        setattr(elder, column, crypto.rotate(token))
                if rehash:
                    elder.id_number_hash = id_hash(elder_id_number(elder))
            Elder.objects.bulk_update(batch, [*columns, "id_number_hash"])
            if rehash:
                for elder in batch:
                    _refresh_lookups(elder)
            counts["elders"] += len(batch)
            last = batch[-1].pk
    for contact in ElderContact.objects.exclude(phones_ciphertext="").iterator():
        contact.phones_ciphertext = crypto.rotate(contact.phones_ciphertext)
        contact.save(update_fields=["phones_ciphertext"])
        counts["contacts"] += 1
    for job in ImportJob.objects.exclude(errors_ciphertext="").iterator():
        job.errors_ciphertext = crypto.rotate(job.errors_ciphertext)
        job.save(update_fields=["errors_ciphertext"])
        counts["imports"] += 1
    # Other apps' sealed columns: each model lists them in SEALED_FIELDS.
    for model in django_apps.get_models():
        sealed = getattr(model, "SEALED_FIELDS", ())
        if not sealed or model is Elder:
            continue
        label = model._meta.label_lower
        counts[label] = 0
        for row in model._default_manager.only("pk", *sealed).iterator():
            for column in sealed:
                token = getattr(row, column)
                if token:
                    setattr(row, column, crypto.rotate(token))
            row.save(update_fields=list(sealed))
            counts[label] += 1
    # Columns encrypted by their field class (visit notes, alert details, vital signs...).
    counts |= crypto.encrypted_fields_rotate(batch_size=batch_size)
    audit_record(
        actor=actor,
        action=AuditAction.KEYS_ROTATED,
        object_type=ELDER_OBJECT_TYPE,
        object_repr=f"{counts['elders']} elders",
        changes=counts | {"rehash": rehash},
    )
    return counts
