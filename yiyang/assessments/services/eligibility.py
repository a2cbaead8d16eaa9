"""Eligibility rules and the entitlements a final level gives."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.assessments.choices import EntitlementKind, EntitlementUnit
from yiyang.assessments.models import EligibilityRule
from yiyang.assessments.services.common import RULE_OBJECT_TYPE
from yiyang.core.audit import audit_record, diff, snapshot
from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.choices import AbilityLevel, EconomicStatus, ElderStatus
from yiyang.elders.models import Elder
from yiyang.elders.tags import age_on

RULE_FIELDS = (
    "name",
    "entitlement",
    "amount_yuan",
    "unit",
    "min_level",
    "max_level",
    "economic_statuses",
    "min_age",
    "valid_from",
    "valid_to",
    "is_active",
)


class EligibilityRuleValues(TypedDict, total=False):
    """What :func:`eligibility_rule_create` and :func:`eligibility_rule_update` accept
    (``RULE_FIELDS``)."""

    name: str
    entitlement: str
    amount_yuan: Decimal | None
    unit: str
    min_level: int
    max_level: int
    economic_statuses: list[str]
    min_age: int
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    is_active: bool


def _rule_values(values: Mapping[str, Any], base: EligibilityRule) -> dict[str, str]:
    """Apply ``values`` to ``base`` and return the errors (field: reason)."""
    errors: dict[str, str] = {}
    name = str(values.get("name", base.name) or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("Give a name of at most 100 characters.")
    base.name = name
    kind = values.get("entitlement", base.entitlement)
    if kind not in EntitlementKind.values:
        errors["entitlement"] = _("Choose an entitlement from the list.")
    base.entitlement = kind
    unit = values.get("unit", base.unit)
    if unit not in EntitlementUnit.values:
        errors["unit"] = _("Choose a unit from the list.")
    base.unit = unit
    amount = values.get("amount_yuan", base.amount_yuan)
    if amount in ("", None):
        base.amount_yuan = None
        if unit != EntitlementUnit.ONE_OFF:
            errors["amount_yuan"] = _("Give the amount in yuan.")
    else:
        try:
            base.amount_yuan = Decimal(str(amount)).quantize(Decimal("0.01"))
            if base.amount_yuan < 0 or base.amount_yuan > Decimal("99999"):
                errors["amount_yuan"] = _("The amount must lie between 0 and 99,999 yuan.")
        except InvalidOperation:
            errors["amount_yuan"] = _("Give the amount as a number.")
    for field, default in (("min_level", base.min_level), ("max_level", base.max_level)):
        level = values.get(field, default)
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
            errors[field] = _("A level from 0 to 4.")
        else:
            setattr(base, field, level)
    if "min_level" not in errors and "max_level" not in errors and base.min_level > base.max_level:
        errors["max_level"] = _("The highest level lies below the lowest.")
    statuses = values.get("economic_statuses", base.economic_statuses)
    if not isinstance(statuses, list | tuple) or any(
        s not in EconomicStatus.values for s in statuses
    ):
        errors["economic_statuses"] = _("Choose economic statuses from the list.")
    else:
        base.economic_statuses = sorted(set(statuses))
    age = values.get("min_age", base.min_age)
    if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120:
        errors["min_age"] = _("An age from 0 to 120.")
    else:
        base.min_age = age
    for field in ("valid_from", "valid_to"):
        day = values.get(field, getattr(base, field))
        if day is not None and not isinstance(day, datetime.date):
            errors[field] = _("Give a date.")
        else:
            setattr(base, field, day)
    if base.valid_from is None and "valid_from" not in errors:
        errors["valid_from"] = _("Give the date the rule takes effect.")
    if (
        "valid_from" not in errors
        and "valid_to" not in errors
        and base.valid_to is not None
        and base.valid_from is not None
        and base.valid_to < base.valid_from
    ):
        errors["valid_to"] = _("The end lies before the start.")
    active = values.get("is_active", base.is_active)
    if not isinstance(active, bool):
        errors["is_active"] = _("Answer yes or no.")
    else:
        base.is_active = active
    return errors


def _rule_history(actor: Actor, rule: EligibilityRule, action: str, changes: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=rule,
        object_type=RULE_OBJECT_TYPE,
        object_repr=rule.name,
        changes=changes,
    )


@transaction.atomic
def eligibility_rule_create(
    *, actor: Actor, **values: Unpack[EligibilityRuleValues]
) -> EligibilityRule:
    require_perm(actor, Permission.MANAGE_ELIGIBILITY)
    reject_unknown_fields(values, RULE_FIELDS)
    rule = EligibilityRule()
    errors = _rule_values(values, rule)
    if errors:
        raise ValidationError(errors)
    rule.save()
    _rule_history(actor, rule, AuditAction.CREATE, diff({}, snapshot(rule, RULE_FIELDS)))
    return rule


@transaction.atomic
def eligibility_rule_update(
    *, actor: Actor, rule: EligibilityRule, **values: Unpack[EligibilityRuleValues]
) -> EligibilityRule:
    """Change a rule; its history keeps every earlier value (who, when, before, after)."""
    require_perm(actor, Permission.MANAGE_ELIGIBILITY)
    reject_unknown_fields(values, RULE_FIELDS)
    rule = EligibilityRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule, RULE_FIELDS)
    errors = _rule_values(values, rule)
    if errors:
        raise ValidationError(errors)
    changes = diff(before, snapshot(rule, RULE_FIELDS))
    if changes:
        rule.save()
        _rule_history(actor, rule, AuditAction.UPDATE, changes)
    return rule


@dataclass
class Entitlement:
    rule: EligibilityRule
    reasons: list[str]


def elder_level(elder: Elder) -> int | None:
    """The elder's current ability level as 0-4 (None when never assessed)."""
    order = [level.value for level in AbilityLevel]
    return order.index(elder.ability_level) if elder.ability_level in order else None


def entitlements_for(
    *, elder: Elder, today: datetime.date | None = None, rules: list[EligibilityRule] | None = None
) -> list[Entitlement]:
    """What an elder is entitled to under the rules in force today, each with the reasons
    (level, economic status, age) the platform found. Nothing is typed in by hand. A rule
    that does not restrict the level (0-4) reaches elders never assessed too (age-only)."""
    today, level = today or timezone.localdate(), elder_level(elder)
    if elder.status == ElderStatus.DECEASED:
        return []
    age = age_on(elder.birth_date, today)
    if rules is None:
        rules = list(EligibilityRule.objects.filter(is_active=True))
    found: list[Entitlement] = []
    level_label = _("not assessed") if level is None else AbilityLevel(elder.ability_level).label
    for rule in rules:
        if not rule.is_active or rule.valid_from > today or (rule.valid_to or today) < today:
            continue
        low, high = rule.min_level, rule.max_level
        if not ((low, high) == (0, 4) if level is None else low <= level <= high):
            continue
        if rule.economic_statuses and elder.economic_status not in rule.economic_statuses:
            continue
        if age < rule.min_age:
            continue
        reasons = [
            _("ability level: %(level)s (%(low)s-%(high)s required)")
            % {"level": level_label, "low": rule.min_level, "high": rule.max_level},
            _("age %(age)s (at least %(min)s)") % {"age": age, "min": rule.min_age},
        ]
        if rule.economic_statuses:
            reasons.append(
                _("economic status: %(status)s")
                % {"status": EconomicStatus(elder.economic_status).label}
            )
        found.append(Entitlement(rule, [str(r) for r in reasons]))
    return found
