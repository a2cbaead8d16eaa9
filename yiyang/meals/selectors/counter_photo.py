"""Whose photo the counter's staff may see: they confirm the identity of the elder they
serve, so they see only an elder booked or served at their own canteen today, or the
elder their counter has just identified (by card, ID number or phone). The registry's
jurisdiction does not reach a canteen's staff; this rule is their scope.

"Just identified" is a signed, short-lived grant the identification hands back (the
preview's photo address carries it): bound to the staff member, the canteen and the
elder, so it is no use to anyone else, at another canteen, or for another elder."""

from __future__ import annotations

import uuid

from django.core import signing
from django.http import Http404
from django.utils import timezone

from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Actor, actor_user
from yiyang.elders.models import Elder
from yiyang.meals.choices import ACTIVE_BOOKING
from yiyang.meals.models import Booking, Canteen, ServedMeal
from yiyang.meals.selectors.canteens import counter_canteen_get

GRANT_SALT = "yiyang.meals.counter-photo"
GRANT_SECONDS = 15 * 60  # long enough to serve the elder, too short to keep


def _holder(actor: Actor) -> str:
    user = actor_user(actor)
    return str(user.external_id) if user is not None else ""


def counter_photo_grant(*, actor: Actor, canteen: Canteen, elder: Elder) -> str:
    """The grant for the elder this actor's counter identified (empty for a system actor)."""
    holder = _holder(actor)
    if not holder:
        return ""
    payload = [holder, str(canteen.external_id), str(elder.external_id)]
    return signing.dumps(payload, salt=GRANT_SALT, compress=True)


def _granted(actor: Actor, canteen: Canteen, elder: Elder, grant: str) -> bool:
    if not grant:
        return False
    try:
        payload = signing.loads(grant, salt=GRANT_SALT, max_age=GRANT_SECONDS)
    except signing.BadSignature:  # tampered, someone else's, or expired
        return False
    expected = [_holder(actor), str(canteen.external_id), str(elder.external_id)]
    return bool(expected[0]) and payload == expected


def counter_photo_elder(
    *, actor: Actor, canteen_id: uuid.UUID | str, elder_id: uuid.UUID | str, grant: str = ""
) -> Elder:
    """The elder whose photo the actor's counter may show: 403 for a role that records no
    meals, 404 for a canteen outside their organisation, and 404 for an elder neither
    booked nor served at that canteen today nor identified there (``grant``)."""
    canteen = counter_canteen_get(actor=actor, external_id=canteen_id)
    elder = get_or_404(Elder.objects.all(), external_id=elder_id)
    if _granted(actor, canteen, elder, grant):
        return elder
    today = timezone.localdate()
    booked = Booking.objects.filter(
        canteen=canteen, elder=elder, day=today, status__in=ACTIVE_BOOKING
    )
    served = ServedMeal.objects.filter(
        canteen=canteen, elder=elder, day=today, voided_at__isnull=True
    )
    if not (booked.exists() or served.exists()):
        raise Http404
    return elder
