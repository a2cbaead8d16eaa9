"""What a caregiver needs at the door, and only that: the elder's phone, the first emergency
contact and the health notes, for the caregivers assigned to a visit.

The elders app does not know about visits: the caller (``yiyang.visits``) establishes the
care relationship (the actor is a caregiver assigned to the visit) and calls this service;
the reading is logged in the access log like any other unmasked view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from yiyang.core.permissions import Actor
from yiyang.elders.choices import AccessAction, ChronicCondition, SensitiveField
from yiyang.elders.models import Elder
from yiyang.elders.sensitive import contact_phones, elder_health, elder_phones
from yiyang.elders.services import access_logged


@dataclass
class DoorCard:
    phones: list[str] = field(default_factory=list)
    contact_name: str = ""
    contact_relation: str = ""
    contact_phones: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    family_doctor: str = ""


@transaction.atomic
def elder_door_card(*, actor: Actor, elder: Elder) -> DoorCard:
    """The elder's phones, first emergency contact and health notes, unmasked and logged.
    Call only for a caregiver assigned to one of the elder's visits."""
    card = DoorCard(phones=elder_phones(elder) if elder.phones_ciphertext else [])
    shown = [SensitiveField.PHONES] if card.phones else []
    first = elder.contacts.filter(is_active=True).first()  # first to call sorts first
    if first is not None:
        card.contact_name = first.name
        card.contact_relation = str(first.get_relation_display())
        card.contact_phones = contact_phones(first)
        shown.append(SensitiveField.CONTACT_PHONES)
    if elder.health_ciphertext:
        health = elder_health(elder)
        labels = dict(ChronicCondition.choices)
        card.conditions = [str(labels.get(c, c)) for c in health.chronic_conditions]
        card.family_doctor = health.family_doctor
        shown.append(SensitiveField.HEALTH)
    access_logged(
        actor=actor,
        action=AccessAction.VIEW,
        fields=[str(f) for f in shown],
        elders=[(elder.pk, elder.division_code)],
    )
    return card
