"""Sensitive fields: unmasked views and exports, each written to the access log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.context import current_origin
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.elders.choices import AccessAction, SensitiveField
from yiyang.elders.models import AccessLog, AccessLogEntry, Elder
from yiyang.elders.permissions import visible_fields
from yiyang.elders.sensitive import (
    Health,
    contact_phones,
    elder_health,
    elder_id_number,
    elder_insurance_number,
    elder_phones,
)
from yiyang.elders.services.records import ELDER_OBJECT_TYPE


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
