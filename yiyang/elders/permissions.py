"""Which sensitive fields a role may see unmasked. Jurisdiction scope applies on top."""

from __future__ import annotations

from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.elders.choices import SensitiveField

FIELD_PERMISSION: dict[str, Permission] = {
    SensitiveField.ID_NUMBER: Permission.SEE_ID_NUMBERS,
    SensitiveField.INSURANCE_NUMBER: Permission.SEE_ID_NUMBERS,
    SensitiveField.PHONES: Permission.SEE_PHONES,
    SensitiveField.CONTACT_PHONES: Permission.SEE_PHONES,
    SensitiveField.HEALTH: Permission.SEE_HEALTH,
}


def visible_fields(actor: Actor) -> list[str]:
    """The sensitive fields this actor may see unmasked, in a stable order."""
    return [str(field) for field, perm in FIELD_PERMISSION.items() if has_perm(actor, perm)]
