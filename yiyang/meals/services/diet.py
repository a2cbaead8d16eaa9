"""Elders' diet needs, allergies and meal cards; the warnings a dish raises."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.models import Elder
from yiyang.meals.choices import DietLabel
from yiyang.meals.models import Dish, ElderDiet, MealCard
from yiyang.meals.selectors import CARD_PREFIX, Diet, elder_diet
from yiyang.meals.services.common import elder_problem, require_elder


class DietConflictError(ValidationError):
    """A dish that conflicts with the elder's diet, chosen without confirming it: a 400 on
    ``confirm_diet_conflict`` naming each conflict (the page shows them as warnings)."""

    def __init__(self, conflicts: list[str]) -> None:
        self.conflicts = conflicts
        lead = _("The dish conflicts with the elder's diet; confirm to book it anyway.")
        super().__init__({"confirm_diet_conflict": [lead, *conflicts]})


def diet_conflict_confirmed(
    *, elder: Elder, dish: Dish | None, confirmed: bool
) -> dict[str, Any] | None:
    """The one rule for the booking page, the API and standing orders: a dish against the
    elder's diet needs or allergies is booked only when confirmed. Raises
    DietConflictError when it conflicts unconfirmed; returns what the audit records of a
    confirmed conflict (the unmet needs' codes and the number of allergens, never the
    allergy itself: health data), or None when there is no conflict."""
    if dish is None:
        return None
    diet = elder_diet(elder)
    conflicts = dish_warnings(diet, dish)
    if not conflicts:
        return None
    if not confirmed:
        raise DietConflictError(conflicts)
    allergens = {a.strip().lower() for a in dish.allergens}
    return {
        "dish": str(dish.external_id),
        "needs": sorted(need for need in diet.needs if need not in dish.labels),
        "allergies": sum(1 for what in diet.allergies if what.lower() in allergens),
    }


def dish_warnings(diet: Diet, dish: Dish | None) -> list[str]:
    """What the counter or the booking page warns of: a need the dish does not meet (a
    diabetic elder and a dish not labelled low-sugar), an allergen the elder reacts to."""
    if dish is None:
        return [
            _("Diet: %(need)s.") % {"need": DietLabel(need).label} for need in sorted(diet.needs)
        ] + [_("Allergy: %(what)s.") % {"what": what} for what in diet.allergies]
    warnings = [
        _("%(dish)s is not %(need)s.") % {"dish": dish.name, "need": DietLabel(need).label}
        for need in sorted(diet.needs)
        if need not in dish.labels
    ]
    allergens = {a.strip().lower() for a in dish.allergens}
    warnings += [
        _("%(dish)s contains %(what)s (allergy).") % {"dish": dish.name, "what": what}
        for what in diet.allergies
        if what.lower() in allergens
    ]
    return warnings


@transaction.atomic
def elder_diet_set(
    *, actor: Actor, elder: Elder, needs: list[str], allergies: list[str]
) -> ElderDiet:
    """Record an elder's explicit diet needs and allergies (allergies sealed)."""
    require_perm(actor, Permission.ISSUE_MEAL_CARDS)
    require_elder(actor, elder)
    unknown = sorted(set(needs) - set(DietLabel.values))
    if unknown:
        raise ValidationError({"needs": _("Unknown diet need: %(v)s") % {"v": ", ".join(unknown)}})
    clean = [a.strip() for a in allergies if a.strip()]
    if any(len(a) > 40 or "," in a for a in clean):
        raise ValidationError({"allergies": _("One allergy per line, at most 40 characters.")})
    diet, _created = ElderDiet.objects.get_or_create(elder=elder)
    diet.needs = sorted(set(needs))
    diet.allergies_ciphertext = crypto.encrypt(",".join(clean)) if clean else ""
    diet.save()
    elder.diet = diet  # the counter reads the diet through this cache (selectors.elder_diet)
    audit_change(
        actor,
        AuditAction.UPDATE,
        diet,
        {"needs": [None, diet.needs], "allergies": [None, "***" if clean else ""]},
        division_code=elder.division_code,
    )
    return diet


@transaction.atomic
def meal_card_issue(*, actor: Actor, elder: Elder) -> MealCard:
    """Print a new meal card: the previous one (lost, worn) is revoked the same moment."""
    require_perm(actor, Permission.ISSUE_MEAL_CARDS)
    require_elder(actor, elder)
    problem = elder_problem(elder)
    if problem:
        raise ValidationError({"elder": problem})
    today = timezone.localdate()
    Elder.objects.select_for_update().filter(pk=elder.pk).first()
    MealCard.objects.filter(elder=elder, revoked_on__isnull=True).update(revoked_on=today)
    card = MealCard.objects.create(elder=elder, code=secrets.token_hex(8).upper(), issued_on=today)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=card, division_code=elder.division_code
    )
    return card


def card_value(card: MealCard) -> str:
    """What the card's QR code carries."""
    return f"{CARD_PREFIX}{card.code}"
