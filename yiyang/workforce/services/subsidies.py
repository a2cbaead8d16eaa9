"""Post subsidies (入职补贴, 岗位补贴): rules as data, evaluated month by month into each
person's entitlement with the reason. A person is entitled at most once per kind and month
whatever the number of employers (a database constraint makes it so), and to an entry
subsidy once ever. Payment goes through the settlement capability: its run bills the
unpaid entitlements (``selectors.billable_subsidies``) on the employers' subsidy statements,
and the treasury's payment of a release sets ``paid_at`` (``subsidies_mark_paid``)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.services.choices import Qualification
from yiyang.services.models import Certificate
from yiyang.workforce.choices import SkillLevel, SubsidyKind
from yiyang.workforce.models import Employment, SubsidyEntitlement, SubsidyRule
from yiyang.workforce.rules import Facts, RuleTerms, best_rules, month_ends

RULE_FIELDS = ("kind", "min_skill_level", "qualification", "min_years_in_sector", "rural_only")
# What a person sets on a rule (form, API): its terms, name, amount and validity.
RULE_EDITABLE = (
    "name",
    "kind",
    "amount",
    "min_skill_level",
    "qualification",
    "min_years_in_sector",
    "rural_only",
    "valid_from",
    "valid_to",
    "is_active",
)


class SubsidyRuleValues(TypedDict, total=False):
    """What :func:`subsidy_rule_save` accepts (``RULE_EDITABLE``)."""

    name: str
    kind: str
    amount: Decimal | str
    min_skill_level: str
    qualification: str
    min_years_in_sector: int
    rural_only: bool
    valid_from: datetime.date
    valid_to: datetime.date | None
    is_active: bool


def _amount(value: Any, errors: dict[str, str]) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
        if not amount.is_finite() or not Decimal(0) < amount <= Decimal(100_000):
            raise ValueError
    except (InvalidOperation, ValueError):
        errors["amount"] = _("The amount is a number of yuan above 0 and at most 100,000.")
        return Decimal(0)
    return amount


def _rule_errors(rule: SubsidyRule) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not rule.name:
        errors["name"] = _("Give the rule a name.")
    if rule.kind not in SubsidyKind.values:
        errors["kind"] = _("Choose a kind from the list.")
    if rule.min_skill_level and rule.min_skill_level not in SkillLevel.values:
        errors["min_skill_level"] = _("Choose a skill level from the list.")
    if rule.qualification and rule.qualification not in Qualification.values:
        errors["qualification"] = _("Choose a qualification from the list.")
    if rule.valid_to and rule.valid_to < rule.valid_from:
        errors["valid_to"] = _("A rule ends after it starts.")
    overlapping = SubsidyRule.objects.filter(
        city=rule.city, is_active=True, **{name: getattr(rule, name) for name in RULE_FIELDS}
    ).exclude(pk=rule.pk)
    overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=rule.valid_from))
    if rule.valid_to:
        overlapping = overlapping.filter(valid_from__lte=rule.valid_to)
    clash = overlapping.first()
    if rule.is_active and clash is not None:
        errors["kind"] = _(
            "The rule %(name)s already pays the same people in the same months: one person "
            "is paid once a month. Change that rule instead."
        ) % {"name": clash.name}
    return errors


@transaction.atomic
def subsidy_rule_save(
    *,
    actor: Actor,
    city: Division,
    rule: SubsidyRule | None = None,
    **values: Unpack[SubsidyRuleValues],
) -> SubsidyRule:
    """Create or change a subsidy rule of a city."""
    require_perm(actor, Permission.MANAGE_WORKFORCE_SUBSIDIES)
    reject_unknown_fields(values, RULE_EDITABLE)
    if city.level != "city" or not actor.scope.covers_division_code(city.code):
        raise PermissionDenied("city")
    created = rule is None
    rule = rule or SubsidyRule(city=city)
    errors: dict[str, str] = {}
    given: dict[str, Any] = dict(values)
    for name in RULE_EDITABLE:
        if name in given and name != "amount":  # the amount is checked as money below
            setattr(rule, name, given[name])
    if "amount" in values:
        rule.amount = _amount(values["amount"], errors)
    rule.name = str(rule.name or "").strip()[:100]
    if rule.valid_from is None:
        errors["valid_from"] = _("Say from when the rule applies.")
    errors = _rule_errors(rule) | errors
    if errors:
        raise ValidationError(errors)
    rule.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=rule,
        division_code=city.code,
        changes={"rule": [None, [rule.kind, str(rule.amount)]]},
    )
    return rule


def _terms(rule: SubsidyRule) -> RuleTerms:
    return RuleTerms(
        key=rule.pk,
        name=rule.name,
        kind=rule.kind,
        amount=rule.amount,
        min_skill_level=rule.min_skill_level,
        qualification=rule.qualification,
        min_years_in_sector=rule.min_years_in_sector,
        rural_only=rule.rural_only,
        valid_from=rule.valid_from,
        valid_to=rule.valid_to,
    )


def _facts_by_person(city: Division, start: datetime.date, end: datetime.date) -> dict[int, Any]:
    """Each person employed during the month: facts and the employment paying through."""
    employments = Employment.objects.filter(person__city=city, hired_on__lte=end).select_related(
        "person", "provider__division"
    )
    by_person: dict[int, list[Employment]] = defaultdict(list)
    for employment in employments:
        by_person[employment.person_id].append(employment)
    held: dict[int, set[str]] = defaultdict(set)
    for person_id, qualification in (
        Certificate.objects.filter(caregiver__employment__person__city=city)
        .filter(Q(issued_on__isnull=True) | Q(issued_on__lte=end))
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=end))
        .values_list("caregiver__employment__person_id", "qualification")
    ):
        held[person_id].add(qualification)
    result = {}
    for person_id, items in by_person.items():
        during = [e for e in items if e.left_on is None or e.left_on >= start]
        if not during:
            continue
        payer = sorted(during, key=lambda e: (e.left_on is not None, e.hired_on, e.pk))[0]
        facts = Facts(
            skill_level=payer.person.skill_level,
            qualifications=frozenset(held[person_id]),
            sector_since=min(e.hired_on for e in items),
            rural_employer=not payer.provider.division.is_urban,
        )
        result[person_id] = (facts, payer)
    return result


@transaction.atomic
def subsidies_evaluate(*, actor: Actor, city: Division, month: datetime.date) -> list[Any]:
    """Compute the month's entitlements of the city's caregivers; entitlements already
    computed stay as they are (a second run adds only what is new)."""
    require_perm(actor, Permission.MANAGE_WORKFORCE_SUBSIDIES)
    if city.level != "city" or not actor.scope.covers_division_code(city.code):
        raise PermissionDenied("city")
    start = month.replace(day=1)
    end = month_ends(start, 1)[0]
    rules = [_terms(r) for r in SubsidyRule.objects.filter(city=city, is_active=True)]
    done = set(
        SubsidyEntitlement.objects.filter(person__city=city, month=start).values_list(
            "person_id", "kind"
        )
    )
    entered = set(
        SubsidyEntitlement.objects.filter(person__city=city, kind=SubsidyKind.ENTRY).values_list(
            "person_id", flat=True
        )
    )
    new = []
    for person_id, (facts, payer) in _facts_by_person(city, start, end).items():
        for kind, (rule, met) in best_rules(rules, facts, end).items():
            if (person_id, kind) in done or (kind == SubsidyKind.ENTRY and person_id in entered):
                continue
            new.append(
                SubsidyEntitlement(
                    person_id=person_id,
                    rule_id=rule.key,
                    kind=kind,
                    month=start,
                    amount=rule.amount,
                    provider=payer.provider,
                    reason="; ".join([rule.name, *met])[:300],
                )
            )
    SubsidyEntitlement.objects.bulk_create(new, batch_size=1000)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="workforce.subsidies",
        object_repr=f"{city.name} {start:%Y-%m}",
        division_code=city.code,
        changes={"entitlements": len(new), "total": str(sum((e.amount for e in new), Decimal(0)))},
    )
    return new


def subsidies_mark_paid(*, entitlement_ids: Any, at: datetime.datetime) -> int:
    """Record that the settlement paid these entitlements (called inside the settlement's
    own audited transaction when the treasury's payment of a release is recorded); an
    entitlement paid already keeps its first date."""
    return SubsidyEntitlement.objects.filter(
        id__in=list(entitlement_ids), paid_at__isnull=True
    ).update(paid_at=at)
