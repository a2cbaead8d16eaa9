"""Helpers shared by the registry's workflows: the phone lookups, the elder's history, the
manage check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.models import Elder, ElderLookup
from yiyang.elders.sensitive import contact_phones, elder_phones, phone_hash
from yiyang.elders.services.records import ELDER_OBJECT_TYPE


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


def _require_manage(actor: Actor, elder: Elder) -> None:
    require_perm(actor, Permission.MANAGE_ELDERS)
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise ValidationError(_("This elder lies outside your jurisdiction."))
