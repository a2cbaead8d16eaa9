"""What the caregiver sees at the door: the elder's phone, first emergency contact and
health notes, for the caregivers assigned to the visit only (the reading is logged)."""

from __future__ import annotations

from yiyang.core.permissions import Actor
from yiyang.elders.care_services import DoorCard, elder_door_card
from yiyang.visits.choices import VisitStatus
from yiyang.visits.lifecycle import performer_of
from yiyang.visits.models import Visit


def visit_door_card(*, actor: Actor, visit: Visit) -> DoorCard | None:
    """The elder's door card for a caregiver assigned to this visit while it is still to do
    or under way; None for everyone else (they have the elder's own pages)."""
    if visit.status in (VisitStatus.CANCELLED, VisitStatus.MISSED, VisitStatus.CONFIRMED):
        return None
    if performer_of(actor, visit).caregiver is None:
        return None
    return elder_door_card(actor=actor, elder=visit.elder)
