"""Who sees which budgets, contracts, statements, lines and releases: one function each.

A provider sees its own contracts and statements; a street officer the statements with
lines of its street's elders and those lines; district and city roles what their
division's contracts bought and their elders' lines; finance the releases of its city.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.settlement.models import (
    BudgetAllocation,
    BudgetLine,
    Contract,
    ContractArea,
    Release,
    RiskScore,
    Statement,
    StatementLine,
)

CITY_PREFIX = 4

M = TypeVar("M", bound=Model)


def _ancestors(prefix: str) -> list[str]:
    """Every shorter prefix of a division prefix (the areas that contain it)."""
    return [prefix[:n] for n in range(1, len(prefix) + 1)]


def budget_scoped(actor: Actor, queryset: QuerySet[BudgetLine]) -> QuerySet[BudgetLine]:
    require_perm(actor, Permission.VIEW_BUDGETS)
    scope = actor.scope
    if scope.division_prefix is None or scope.organisation_ids is not None:
        return queryset.none()
    allocated = BudgetAllocation.objects.filter(line=OuterRef("pk")).filter(
        prefix_q("division_code", scope.division_prefix)
    )
    return queryset.filter(prefix_q("division_code", scope.division_prefix) | Q(Exists(allocated)))


def _settlement_scoped(
    actor: Actor,
    queryset: QuerySet[M],
    *,
    in_division: Callable[[str], Q],
    provider_field: str = "provider_id",
) -> QuerySet[M]:
    """The settlement records an actor may see: those ``in_division`` of its division
    prefix (each record kind says what that means) and, for a provider, its own."""
    require_perm(actor, Permission.VIEW_SETTLEMENT)
    scope = actor.scope
    if scope.is_empty:
        return queryset.none()
    condition = Q()
    if scope.division_prefix is not None:
        condition &= in_division(scope.division_prefix)
    if scope.organisation_ids is not None:
        condition &= Q(**{f"{provider_field}__in": sorted(scope.organisation_ids)})
    return queryset.filter(condition)


def _contract_in(prefix: str) -> Q:
    """Bought by the division, or serving an area inside it or containing it."""
    served = ContractArea.objects.filter(contract=OuterRef("pk")).filter(
        prefix_q("code_prefix", prefix) | Q(code_prefix__in=_ancestors(prefix))
    )
    return prefix_q("division_code", prefix) | Q(Exists(served))


def _statement_in(prefix: str) -> Q:
    """Bought by the division, or with a line of one of its elders."""
    if len(prefix) <= CITY_PREFIX:
        # Every buyer (the city's bureau or a district) lies inside its city, so a
        # city-wide scope needs no look at the lines (a million a month).
        return prefix_q("division_code", prefix)
    lines = StatementLine.objects.filter(statement=OuterRef("pk")).filter(
        prefix_q("division_code", prefix)
    )
    return prefix_q("division_code", prefix) | Q(Exists(lines))


def _line_in(prefix: str) -> Q:
    """Of one of the division's elders, or on a statement the division bought."""
    return prefix_q("division_code", prefix) | prefix_q("statement__division_code", prefix)


def contract_scoped(actor: Actor, queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    return _settlement_scoped(actor, queryset, in_division=_contract_in)


def statement_scoped(actor: Actor, queryset: QuerySet[Statement]) -> QuerySet[Statement]:
    return _settlement_scoped(actor, queryset, in_division=_statement_in)


def line_scoped(actor: Actor, queryset: QuerySet[StatementLine]) -> QuerySet[StatementLine]:
    return _settlement_scoped(
        actor, queryset, in_division=_line_in, provider_field="statement__provider_id"
    )


def release_scoped(actor: Actor, queryset: QuerySet[Release]) -> QuerySet[Release]:
    require_perm(actor, Permission.VIEW_RELEASES)
    return actor.scope.apply(queryset, division_code_field="division_code")


def risk_scoped(actor: Actor, queryset: QuerySet[RiskScore]) -> QuerySet[RiskScore]:
    require_perm(actor, Permission.VIEW_RISK)
    return actor.scope.apply(queryset, division_code_field="division_code")
