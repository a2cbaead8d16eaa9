"""Registering and changing elders, one record at a time."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.choices import AbilityLevel, ElderStatus
from yiyang.elders.geocoding import Geocoder, record_locate
from yiyang.elders.models import Elder
from yiyang.elders.services.common import _history, _refresh_lookups
from yiyang.elders.services.duplicates import near_duplicates_find
from yiyang.elders.services.records import (
    RECORD_COLUMNS,
    Record,
    _normalise_values,
    record_apply,
    record_changes,
    record_of,
    validate_record,
)

# What a person sets on an elder's record (form, API); the location's source is derived.
ELDER_FIELDS = tuple(f.name for f in dataclasses.fields(Record) if f.name != "location_source")


class ElderValues(TypedDict, total=False):
    """What :func:`elder_create` and :func:`elder_update` accept (``ELDER_FIELDS``)."""

    name: str
    id_number: str
    sex: str
    birth_date: datetime.date | None
    ethnicity: str
    phones: list[str]
    community: Division | None
    address: str
    lat: Decimal | None
    lng: Decimal | None
    living_arrangement: str
    marital_status: str
    economic_status: str
    insurance_type: str
    insurance_number: str
    chronic_conditions: list[str]
    disability_certificate: str
    family_doctor: str
    ability_level: str
    status: str
    status_changed_on: datetime.date | None
    deceased_on: datetime.date | None


@transaction.atomic
def elder_create(*, actor: Actor, **values: Unpack[ElderValues]) -> Elder:
    """Register an elder. Sex and birth date come from the ID number (and must agree with
    any given); a same-name, same-birthday record in the community goes to review."""
    require_perm(actor, Permission.MANAGE_ELDERS)
    reject_unknown_fields(values, ELDER_FIELDS)
    cleaned, errors = _normalise_values(values)
    record = Record(**cleaned)
    record_locate(record, before=None, geocoder=Geocoder())
    errors = validate_record(record, actor=actor, instance=None) | errors
    if errors:
        raise ValidationError(errors)
    elder = Elder()
    record_apply(elder, record)
    elder.save()
    _refresh_lookups(elder)
    _history(actor, elder, AuditAction.CREATE, record_changes(None, record))
    near_duplicates_find([elder])
    return elder


@transaction.atomic
def elder_update(*, actor: Actor, elder: Elder, **values: Unpack[ElderValues]) -> Elder:
    """Change an elder in the actor's jurisdiction; only the given fields change."""
    require_perm(actor, Permission.MANAGE_ELDERS)
    reject_unknown_fields(values, ELDER_FIELDS)
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
    record_apply(elder, after)
    elder.save(update_fields=[*RECORD_COLUMNS, "updated_at"])
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
