"""Budget lines, their allocations to districts, and purchase contracts."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.validation import year_errors
from yiyang.meals.selectors import organisation_runs_canteen
from yiyang.organisations.models import Organisation
from yiyang.services.models import ServiceItem
from yiyang.settlement.choices import ContractScope, FundPurpose, FundSource, StatementStatus
from yiyang.settlement.models import (
    BudgetAllocation,
    BudgetLine,
    Contract,
    ContractArea,
    ContractItem,
)

CENT = Decimal("0.01")


def money(value: Any, field: str, errors: dict[str, str], *, positive: bool = True) -> Decimal:
    """A yuan amount with at most two decimals (fen); never a float."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = _("Give an amount in yuan, e.g. 1234.50.")
        return Decimal("0.00")
    if not amount.is_finite() or amount != amount.quantize(CENT):
        errors[field] = _("Give an amount in yuan with at most two decimals (fen).")
        return Decimal("0.00")
    if positive and amount <= 0:
        errors[field] = _("The amount must be more than zero.")
    return amount.quantize(CENT)


@transaction.atomic
def budget_line_create(
    *,
    actor: Actor,
    city: Division,
    source: str,
    year: int,
    purpose: str,
    name: str,
    amount_yuan: Any,
) -> BudgetLine:
    """Record a budget line (e.g. the central home-care grant for a year)."""
    require_perm(actor, Permission.MANAGE_BUDGETS)
    errors: dict[str, str] = {}
    if city.level != DivisionLevel.CITY or not actor.scope.covers_division_code(city.code):
        errors["city"] = _("Choose your city.")
    if source not in FundSource.values:
        errors["source"] = _("Choose a source of funds.")
    if purpose not in FundPurpose.values:
        errors["purpose"] = _("Choose a purpose.")
    year_errors(year, errors)
    if not name.strip():
        errors["name"] = _("Give the line a name.")
    amount = money(amount_yuan, "amount_yuan", errors)
    if errors:
        raise ValidationError(errors)
    line = BudgetLine.objects.create(
        city=city,
        division_code=city.code,
        source=source,
        year=year,
        purpose=purpose,
        name=name.strip(),
        amount_yuan=amount,
    )
    audit_change(
        actor,
        AuditAction.CREATE,
        line,
        {"amount_yuan": str(amount), "source": source, "purpose": purpose},
        division_code=city.code,
    )
    return line


@transaction.atomic
def allocation_set(
    *, actor: Actor, line: BudgetLine, district: Division, amount_yuan: Any
) -> BudgetAllocation:
    """Give (or change) a district's share of a line; shares never exceed the line."""
    require_perm(actor, Permission.MANAGE_BUDGETS)
    errors: dict[str, str] = {}
    if district.level != DivisionLevel.DISTRICT or not district.code.startswith(
        line.city.code_prefix
    ):
        errors["district"] = _("Choose a district of the line's city.")
    amount = money(amount_yuan, "amount_yuan", errors)
    BudgetLine.objects.select_for_update().get(pk=line.pk)
    others = sum(
        (a.amount_yuan for a in line.allocations.exclude(district=district)), Decimal("0.00")
    )
    if not errors and others + amount > line.amount_yuan:
        errors["amount_yuan"] = _(
            "The districts would get %(total)s yuan; the line holds %(amount)s yuan."
        ) % {"total": others + amount, "amount": line.amount_yuan}
    if errors:
        raise ValidationError(errors)
    allocation, _created = BudgetAllocation.objects.update_or_create(
        line=line,
        district=district,
        defaults={"amount_yuan": amount, "division_code": district.code},
    )
    audit_change(
        actor,
        AuditAction.UPDATE,
        allocation,
        {"amount_yuan": str(amount)},
        division_code=district.code,
    )
    return allocation


def _contract_errors(
    *,
    actor: Actor,
    buyer: Division,
    provider: Organisation,
    budget_line: BudgetLine,
    starts_on: datetime.date,
    ends_on: datetime.date,
    prices: dict[ServiceItem, Decimal],
    areas: Sequence[Division],
    errors: dict[str, str],
    editing: Contract | None = None,
    scope: str = ContractScope.HOME_CARE,
    package: bool = False,
) -> None:
    if buyer.level not in (DivisionLevel.CITY, DivisionLevel.DISTRICT) or not (
        actor.scope.covers_division_code(buyer.code)
    ):
        errors["buyer"] = _("The buyer is the city's bureau or one of your districts.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The contract ends before it starts.")
    if not buyer.code.startswith(budget_line.city.code_prefix):
        errors["budget_line"] = _("Choose a budget line of the buyer's city.")
    # A contract of a caregiver-subsidy line pays the provider's caregivers' subsidies,
    # not services: it has no prices, and two of one provider may not overlap.
    subsidy = budget_line.purpose == FundPurpose.CAREGIVERS
    if package and (subsidy or scope != ContractScope.HOME_CARE):
        errors["package_yuan"] = _("Only a home-care contract can pay a monthly package.")
    if subsidy and prices:
        errors["items"] = _(
            "A caregiver-subsidy contract pays subsidies, not services: give no services."
        )
    elif scope == ContractScope.MEALS:
        _meal_contract_errors(provider, budget_line, prices, errors)
    elif scope != ContractScope.HOME_CARE:
        errors["scope"] = _("Choose home-care services or meals only.")
    elif not subsidy and not prices:
        errors["items"] = _("Give at least one service with its unit price.")
    if not areas:
        errors["areas"] = _("Give at least one division the contract serves.")
    for area in areas:
        if not area.code.startswith(buyer.code_prefix):
            errors["areas"] = _("%(area)s lies outside the buyer's division.") % {"area": area}
    prefixes = [a.code_prefix for a in areas]
    # Areas clash when one lies inside the other (a district and one of its streets).
    inside = Q()
    for prefix in prefixes:
        inside |= Q(areas__code_prefix__in=[prefix[:n] for n in range(1, len(prefix) + 1)])
        inside |= Q(areas__code_prefix__startswith=prefix)
    overlapping = Contract.objects.filter(
        provider=provider,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    ).filter(inside)
    if subsidy:
        overlapping = overlapping.filter(budget_line__purpose=FundPurpose.CAREGIVERS)
    elif scope == ContractScope.MEALS:
        overlapping = overlapping.filter(scope=ContractScope.MEALS)
    else:
        overlapping = overlapping.filter(items__item__in=list(prices))
    if editing is not None:
        overlapping = overlapping.exclude(pk=editing.pk)
    clash = overlapping.distinct().first() if prefixes else None
    if clash is not None:
        errors["starts_on"] = _(
            "Contract %(number)s already covers some of these services and areas for this "
            "provider between %(start)s and %(end)s."
        ) % {"number": clash.number, "start": clash.starts_on, "end": clash.ends_on}


def _meal_contract_errors(
    provider: Organisation,
    budget_line: BudgetLine,
    prices: dict[ServiceItem, Decimal],
    errors: dict[str, str],
) -> None:
    """A meal-only contract: a canteen's, paid from a meal-subsidy line, with no services
    (its lines are the served meals' subsidy, priced at the counter)."""
    if prices:
        errors["items"] = _(
            "A meal-only contract buys no home-care services: leave the unit prices empty."
        )
    if budget_line.purpose != FundPurpose.MEALS:
        errors["budget_line"] = _("A meal-only contract is paid from a meal-subsidy budget line.")
    if not organisation_runs_canteen(organisation_id=provider.pk):
        errors["provider"] = _("%(provider)s runs no canteen or meal point.") % {
            "provider": provider.name
        }


@transaction.atomic
def contract_create(
    *,
    actor: Actor,
    number: str,
    buyer: Division,
    provider: Organisation,
    budget_line: BudgetLine,
    starts_on: datetime.date,
    ends_on: datetime.date,
    cap_yuan: Any,
    prices: dict[ServiceItem, Any],
    areas: Sequence[Division],
    scope: str = ContractScope.HOME_CARE,
    **values: Unpack[ContractTerms],
) -> Contract:
    """A purchase contract with its services, unit prices and divisions served; or a
    meal-only contract (``scope`` meals: a canteen's served meals, no services)."""
    require_perm(actor, Permission.MANAGE_CONTRACTS)
    reject_unknown_fields(values, CONTRACT_TERM_FIELDS)
    terms: dict[str, Any] = dict(values)
    errors: dict[str, str] = {}
    cap, clean = _contract_values(number, cap_yuan, prices, terms, errors)
    _contract_errors(
        actor=actor,
        buyer=buyer,
        provider=provider,
        budget_line=budget_line,
        starts_on=starts_on,
        ends_on=ends_on,
        prices=clean,
        areas=areas,
        errors=errors,
        scope=scope,
        package=terms.get("package_yuan") is not None,
    )
    if errors:
        raise ValidationError(errors)
    contract = Contract.objects.create(
        number=number.strip(),
        buyer=buyer,
        division_code=buyer.code,
        provider=provider,
        budget_line=budget_line,
        starts_on=starts_on,
        ends_on=ends_on,
        cap_yuan=cap,
        scope=scope,
        **terms,
    )
    _write_items_and_areas(contract, clean, areas)
    audit_change(
        actor,
        AuditAction.CREATE,
        contract,
        {
            "provider": provider.name,
            "scope": scope,
            "period": [str(starts_on), str(ends_on)],
            "cap_yuan": str(cap),
            "items": {i.code: str(p) for i, p in clean.items()},
            "areas": [a.code for a in areas],
            "package_yuan": str(terms.get("package_yuan")),
        },
        division_code=buyer.code,
    )
    return contract


TERMS = Contract.TERMS
CONTRACT_TERM_FIELDS = (*TERMS, "document")


class ContractTerms(TypedDict, total=False):
    """The performance terms, monthly package and signed document :func:`contract_create`
    accepts besides its named arguments (``CONTRACT_TERM_FIELDS``)."""

    on_time_target: Decimal | int
    verified_target: Decimal | int
    complaints_limit: int
    evaluation_target: Decimal | int
    package_yuan: Decimal | str | None
    package_min_visits: int | None
    document: File


class ContractUpdateTerms(ContractTerms, total=False):
    """What :func:`contract_update` accepts besides its named arguments: the terms, and the
    scope (which must be the contract's own)."""

    scope: str


def _package_terms(terms: dict[str, Any], errors: dict[str, str]) -> bool:
    """A per-elder monthly package (amount above zero, a minimum of 0-62 verified visits
    a month), normalised in ``terms``; whether the contract is one."""
    if terms.get("package_yuan") in (None, ""):
        if "package_yuan" in terms:
            terms["package_yuan"] = None
        if terms.get("package_min_visits"):
            errors["package_min_visits"] = _(
                "A minimum of verified visits applies to a monthly package only."
            )
        return False
    terms["package_yuan"] = money(terms["package_yuan"], "package_yuan", errors)
    try:
        minimum = int(terms.get("package_min_visits") or 0)
    except (TypeError, ValueError):
        minimum = -1
    if not 0 <= minimum <= 62:
        errors["package_min_visits"] = _("Give a number of visits between 0 and 62.")
    terms["package_min_visits"] = max(minimum, 0)
    return True


def _contract_values(
    number: str,
    cap_yuan: Any,
    prices: dict[ServiceItem, Any],
    terms: dict[str, Any],
    errors: dict[str, str],
) -> tuple[Decimal, dict[ServiceItem, Decimal]]:
    """The number, cap, unit prices and performance terms checked (prices above zero,
    shares 0-100)."""
    if not number.strip():
        errors["number"] = _("Give the contract's number.")
    cap = money(cap_yuan, "cap_yuan", errors)
    package = _package_terms(terms, errors)
    clean: dict[ServiceItem, Decimal] = {}
    for item, price in prices.items():
        if package and price in (None, ""):  # covered by the package, no unit price
            clean[item] = Decimal("0.00")
            continue
        item_errors: dict[str, str] = {}
        clean[item] = money(price, "items", item_errors)
        if item_errors:
            errors["items"] = _("%(item)s: the unit price must be more than zero yuan.") % {
                "item": item.name
            }
    for name in ("on_time_target", "verified_target", "evaluation_target"):
        if name not in terms:
            continue
        try:
            share = Decimal(str(terms.get(name, 0)))
        except (InvalidOperation, ValueError):
            share = Decimal(-1)
        if not 0 <= share <= 100:
            errors[name] = _("Give a percentage between 0 and 100.")
    return cap, clean


def _write_items_and_areas(
    contract: Contract, clean: dict[ServiceItem, Decimal], areas: Sequence[Division]
) -> None:
    ContractItem.objects.bulk_create(
        ContractItem(contract=contract, item=item, unit_price=price)
        for item, price in clean.items()
    )
    ContractArea.objects.bulk_create(
        ContractArea(contract=contract, division=area, code_prefix=area.code_prefix)
        for area in areas
    )


def _fixed_changed(
    contract: Contract,
    period: tuple[datetime.date, datetime.date],
    buyer: Division,
    clean: dict[ServiceItem, Decimal],
    areas: Sequence[Division],
    terms: dict[str, Any],
) -> bool:
    """Whether a change touches what is fixed once a statement is past the draft: the
    period, buyer, prices, areas and the package's terms."""
    old_prices = {i.item_id: i.unit_price for i in contract.items.all()}
    old_areas = {a.division_id for a in contract.areas.all()}
    package = (contract.package_yuan, contract.package_min_visits)
    new_package = (
        terms.get("package_yuan", contract.package_yuan),
        terms.get("package_min_visits", contract.package_min_visits),
    )
    return (
        period != (contract.starts_on, contract.ends_on)
        or {i.pk: p for i, p in clean.items()} != old_prices
        or {a.pk for a in areas} != old_areas
        or buyer.pk != contract.buyer_id
        or new_package != package
    )


def _update_errors(actor: Actor, contract: Contract, scope: str) -> dict[str, str]:
    """Whose contract it is, and what it buys, never changes."""
    errors: dict[str, str] = {}
    if not actor.scope.covers_division_code(contract.division_code):
        errors["buyer"] = _("The contract was bought outside your jurisdiction.")
    if scope != contract.scope:
        errors["scope"] = _("What a contract buys cannot change: make a new contract.")
    return errors


@transaction.atomic
def contract_update(
    *,
    actor: Actor,
    contract: Contract,
    number: str,
    buyer: Division,
    budget_line: BudgetLine,
    starts_on: datetime.date,
    ends_on: datetime.date,
    cap_yuan: Any,
    prices: dict[ServiceItem, Any],
    areas: Sequence[Division],
    **values: Unpack[ContractUpdateTerms],
) -> Contract:
    """Change a contract. Its period, prices and areas are fixed once a statement under it
    is past the draft (those statements stand as approved); the cap and terms may change.
    What it buys (home care or meals only) never changes: a scope given must be its own."""
    require_perm(actor, Permission.MANAGE_CONTRACTS)
    reject_unknown_fields(values, (*CONTRACT_TERM_FIELDS, "scope"))
    terms: dict[str, Any] = dict(values)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    errors = _update_errors(actor, contract, terms.pop("scope", contract.scope))
    cap, clean = _contract_values(number, cap_yuan, prices, terms, errors)
    _contract_errors(
        actor=actor,
        buyer=buyer,
        provider=contract.provider,
        budget_line=budget_line,
        starts_on=starts_on,
        ends_on=ends_on,
        prices=clean,
        areas=areas,
        errors=errors,
        editing=contract,
        scope=contract.scope,
        package=terms.get("package_yuan", contract.package_yuan) is not None,
    )
    fixed_changed = _fixed_changed(contract, (starts_on, ends_on), buyer, clean, areas, terms)
    if fixed_changed and contract.statements.exclude(status=StatementStatus.DRAFT).exists():
        errors["starts_on"] = _(
            "Statements under this contract are already confirmed: its period, buyer, prices "
            "and areas can no longer change (the cap and the terms can)."
        )
    if errors:
        raise ValidationError(errors)
    before = {
        "period": [str(contract.starts_on), str(contract.ends_on)],
        "cap_yuan": str(contract.cap_yuan),
    }
    for name, value in {
        "number": number.strip(),
        "buyer": buyer,
        "division_code": buyer.code,
        "budget_line": budget_line,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "cap_yuan": cap,
        **terms,
    }.items():
        setattr(contract, name, value)
    contract.save()
    contract.items.all().delete()
    contract.areas.all().delete()
    _write_items_and_areas(contract, clean, areas)
    audit_change(
        actor,
        AuditAction.UPDATE,
        contract,
        {
            "period": [before["period"], [str(starts_on), str(ends_on)]],
            "cap_yuan": [before["cap_yuan"], str(cap)],
            "items": {i.code: str(p) for i, p in clean.items()},
            "areas": [a.code for a in areas],
        },
        division_code=buyer.code,
    )
    return contract
