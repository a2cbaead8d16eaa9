"""The counter: an elder found by card, ID number, phone or id; the elder's diet."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.elders.models import Elder, ElderLookup
from yiyang.elders.services import CellError, elder_health, id_hash, normalise_phone, phone_hash
from yiyang.meals.choices import (
    CONDITION_NEEDS,
)
from yiyang.meals.models import (
    Canteen,
    ElderDiet,
    MealCard,
)
from yiyang.meals.permissions import same_city

CARD_PREFIX = "YYMC:"


# The counter: find an elder by card, ID number, phone or id -----------------------------


class UnknownElderError(Exception):
    """The card, ID number or phone names nobody the counter may serve."""


def elder_identify(
    *, canteen: Canteen, elder: str = "", card: str = "", id_number: str = "", phone: str = ""
) -> Elder:
    """The elder a counter scanned or typed: by meal-card QR value, ID number (typed or
    swiped), phone, or the elder's id. Any elder of the canteen's city (the meal card is
    city-wide); raises UnknownElderError with a message saying what was wrong."""
    # The diet rides along (a reverse one-to-one): the counter warns from it without
    # another round trip.
    queryset = Elder.objects.select_related("community", "diet")
    found: Elder | None = None
    if card:
        code = card.strip().removeprefix(CARD_PREFIX).upper()
        if not code.isalnum() or len(code) > 32:
            raise UnknownElderError(_("This is not a meal card's QR code."))
        record = MealCard.objects.filter(code=code).select_related("elder__diet").first()
        if record is None:
            raise UnknownElderError(_("Unknown meal card."))
        if record.revoked_on is not None:
            raise UnknownElderError(
                _("This meal card was revoked on %(day)s.") % {"day": record.revoked_on}
            )
        found = record.elder
    elif id_number:
        try:
            number = parse_citizen_id("".join(id_number.split())).number
        except IdNumberError as exc:
            raise UnknownElderError(_("Malformed ID number: %(reason)s") % {"reason": exc}) from exc
        found = queryset.filter(id_number_hash=id_hash(number)).first()
    elif phone:
        try:
            digits = normalise_phone(phone)
        except CellError as exc:
            raise UnknownElderError(str(exc)) from exc
        ids = ElderLookup.objects.filter(
            kind=ElderLookup.Kind.PHONE, value_hash=phone_hash(digits)
        ).values_list("elder_id", flat=True)
        matches = list(queryset.filter(pk__in=ids)[:2])
        if len(matches) > 1:
            raise UnknownElderError(_("Several elders share this phone: scan the card instead."))
        found = matches[0] if matches else None
    elif elder:
        try:
            found = queryset.filter(external_id=uuid.UUID(str(elder))).first()
        except ValueError as exc:
            raise UnknownElderError(_("Malformed elder id.")) from exc
    else:
        raise UnknownElderError(_("Scan a meal card or type an ID number or phone."))
    if found is None or not same_city(canteen, found.division_code):
        raise UnknownElderError(_("No registered elder matches."))
    return found


@dataclass
class Diet:
    needs: set[str]
    allergies: list[str]


def elder_diet(elder: Elder) -> Diet:
    """The elder's diet needs (explicit, and implied by chronic conditions) and allergies."""
    needs: set[str] = set()
    allergies: list[str] = []
    try:  # no query when the elder was read with select_related("diet")
        record: ElderDiet | None = elder.diet
    except ElderDiet.DoesNotExist:
        record = None
    if record is not None:
        needs.update(record.needs)
        if record.allergies_ciphertext:
            text = crypto.decrypt(record.allergies_ciphertext)
            allergies = [a.strip() for a in text.split(",") if a.strip()]
    if elder.health_ciphertext:
        for condition in elder_health(elder).chronic_conditions:
            if condition in CONDITION_NEEDS:
                needs.add(CONDITION_NEEDS[condition])
    return Diet(needs, allergies)
