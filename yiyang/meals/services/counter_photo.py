"""The elder's photo at the counter: the staff confirm whom they serve. The counter's own
scope rule (``selectors.counter_photo_elder``) decides who may be shown; the registry's
photo service decrypts it and writes the view to the access log."""

from __future__ import annotations

import uuid

from yiyang.core.permissions import Actor
from yiyang.elders.photos import elder_photo_read_granted
from yiyang.meals.selectors.counter_photo import counter_photo_elder


def counter_photo_read(
    *, actor: Actor, canteen_id: uuid.UUID | str, elder_id: uuid.UUID | str, grant: str = ""
) -> bytes:
    """The JPEG of an elder booked, served or identified at the actor's canteen today
    (404 otherwise, and when there is no photo); each read is in the access log."""
    elder = counter_photo_elder(actor=actor, canteen_id=canteen_id, elder_id=elder_id, grant=grant)
    return elder_photo_read_granted(actor=actor, elder=elder)
