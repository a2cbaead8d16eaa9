"""Who sees which budgets, contracts, statements, lines and releases: one function each.

A provider sees its own contracts and statements; a street officer the statements with
lines of its street's elders and those lines; district and city roles what their
division's contracts bought and their elders' lines; finance the releases of its city.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

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


def contract_scoped(actor: Actor, queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    require_perm(actor, Permission.VIEW_SETTLEMENT)
    scope = actor.scope
    if scope.is_empty:
        return queryset.none()
    condition = Q()
    if scope.division_prefix is not None:
        prefix = scope.division_prefix
        served = ContractArea.objects.filter(contract=OuterRef("pk")).filter(
            prefix_q("code_prefix", prefix) | Q(code_prefix__in=_ancestors(prefix))
        )
        condition &= prefix_q("division_code", prefix) | Q(Exists(served))
    if scope.organisation_ids is not None:
        condition &= Q(provider_id__in=sorted(scope.organisation_ids))
    return queryset.filter(condition)


def statement_scoped(actor: Actor, queryset: QuerySet[Statement]) -> QuerySet[Statement]:
    require_perm(actor, Permission.VIEW_SETTLEMENT)
    scope = actor.scope
    if scope.is_empty:
        return queryset.none()
    condition = Q()
    if scope.division_prefix is not None:
        prefix = scope.division_prefix
        if len(prefix) <= CITY_PREFIX:
            # Every buyer (the city's bureau or a district) lies inside its city, so a
            # city-wide scope needs no look at the lines (a million a month).
            condition &= prefix_q("division_code", prefix)
        else:
            lines = StatementLine.objects.filter(statement=OuterRef("pk")).filter(
                prefix_q("division_code", prefix)
            )
            condition &= prefix_q("division_code", prefix) | Q(Exists(lines))
    if scope.organisation_ids is not None:
        condition &= Q(provider_id__in=sorted(scope.organisation_ids))
    return queryset.filter(condition)


def line_scoped(actor: Actor, queryset: QuerySet[StatementLine]) -> QuerySet[StatementLine]:
    require_perm(actor, Permission.VIEW_SETTLEMENT)
    scope = actor.scope
    if scope.is_empty:
        return queryset.none()
    condition = Q()
    if scope.division_prefix is not None:
        prefix = scope.division_prefix
        condition &= prefix_q("division_code", prefix) | prefix_q(
            "statement__division_code", prefix
        )
    if scope.organisation_ids is not None:
        condition &= Q(statement__provider_id__in=sorted(scope.organisation_ids))
    return queryset.filter(condition)


def release_scoped(actor: Actor, queryset: QuerySet[Release]) -> QuerySet[Release]:
    require_perm(actor, Permission.VIEW_RELEASES)
    return actor.scope.apply(queryset, division_code_field="division_code")


def risk_scoped(actor: Actor, queryset: QuerySet[RiskScore]) -> QuerySet[RiskScore]:
    require_perm(actor, Permission.VIEW_RISK)
    return actor.scope.apply(queryset, division_code_field="division_code")
