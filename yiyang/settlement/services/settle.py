"""The monthly settlement run: one statement per live contract, one line per billable
unit of every registered source, each held line with its reasons. All or nothing."""

from __future__ import annotations

import calendar
import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.organisations.models import Organisation
from yiyang.settlement.choices import (
    PAYEE_KINDS,
    ContractScope,
    FundPurpose,
    LineStatus,
    SourceKind,
    StatementStatus,
)
from yiyang.settlement.models import (
    Adjustment,
    Contract,
    LineDecision,
    LineHold,
    Statement,
    StatementLine,
)
from yiyang.settlement.services.engine import NO_ITEM, PAYEE_ITEM, Run
from yiyang.settlement.services.holdrules import general_holds
from yiyang.settlement.sources import SCOPE_SOURCES, SOURCES

ZERO = Decimal("0.00")
BATCH = 5000


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def due_in(step: str) -> datetime.date:
    days = getattr(settings, "SETTLEMENT_DUE_DAYS", {}).get(step, 5)
    return timezone.localdate() + datetime.timedelta(days=days)


@dataclass
class SettleResult:
    month: datetime.date
    statements: list[Statement] = field(default_factory=list)
    lines: int = 0
    held: int = 0
    uncovered: int = 0
    skipped: list[Statement] = field(default_factory=list)


def _contracts(
    first: datetime.date, last: datetime.date, provider: Organisation | None
) -> list[Contract]:
    queryset = Contract.objects.filter(starts_on__lte=last, ends_on__gte=first)
    if provider is not None:
        queryset = queryset.filter(provider=provider)
    return list(
        queryset.select_related("budget_line").prefetch_related("items", "areas").order_by("id")
    )


def _targets(
    month: datetime.date, contracts: list[Contract]
) -> tuple[list[Contract], list[Statement]]:
    existing = {
        s.contract_id: s for s in Statement.objects.filter(month=month, contract__in=contracts)
    }
    skipped = [s for s in existing.values() if s.status != StatementStatus.DRAFT]
    return [c for c in contracts if c.id not in {s.contract_id for s in skipped}], skipped


def settle_month(
    *, actor: Actor, month: datetime.date, provider: Organisation | None = None
) -> SettleResult:
    """Settle a month that has ended: build (or rebuild) the draft statement of every live
    contract (of one provider). Statements past the draft are left as they are; when all
    are, nothing changes and the run says so."""
    require_perm(actor, Permission.RUN_SETTLEMENT)
    first, last = month_bounds(month)
    if last >= timezone.localdate():
        raise ValidationError(
            {
                "month": _("%(month)s has not ended yet; settle it from the 1st of the next month.")
                % {"month": f"{first:%Y-%m}"}
            }
        )
    contracts = _contracts(first, last, provider)
    if provider is not None and not actor.scope.covers_division_code(provider.division.code):
        raise ValidationError({"provider": _("The provider lies outside your city.")})
    contracts = [c for c in contracts if actor.scope.covers_division_code(c.division_code)]
    if not contracts:
        raise ValidationError(
            {"month": _("No contract was in force in %(month)s.") % {"month": f"{first:%Y-%m}"}}
        )
    targets, skipped = _targets(first, contracts)
    if not targets:
        raise ValidationError(
            {
                "month": _(
                    "Every statement of %(month)s is confirmed or approved already; nothing "
                    "was changed."
                )
                % {"month": f"{first:%Y-%m}"}
            }
        )
    result = SettleResult(first, skipped=skipped)
    with transaction.atomic():
        _settle(result, actor, first, last, targets)
    return result


def _settle(
    result: SettleResult,
    actor: Actor,
    first: datetime.date,
    last: datetime.date,
    targets: list[Contract],
) -> None:
    """The run inside its transaction: units staged, held, matched, written, totalled."""
    Statement.objects.select_for_update().filter(month=first, contract__in=targets).exists()
    _clear_drafts(first, targets)
    provider_ids = {c.provider_id for c in targets}
    run = Run(first, last, provider_ids)
    run.packages = [c for c in targets if c.package_yuan is not None]
    run.create_tables()
    for source in SOURCES.values():
        if source.stage is not None:
            source.stage(run)
        elif source.collect is not None:
            rows = source.collect(first, last, provider_ids)
            billed = run.billed(source.kind, [r.source_id for r in rows])
            run.add_rows([r for r in rows if r.source_id not in billed])
    run.index_units()
    general_holds(run)
    run.write_holds()
    statements, fresh = _statements(first, targets)
    run.write_terms(_terms(targets, statements))
    ids = [s.id for s in statements.values()]
    result.lines, result.held, result.uncovered = run.write_lines(ids)
    run.drop_tables()
    _settle_adjustments(first, statements)
    statement_totals(list(statements.values()))
    _drop_empty(statements, fresh)
    for statement in statements.values():
        audit_change(
            actor,
            AuditAction.CREATE,
            statement,
            {
                "lines": statement.lines_count,
                "payable_yuan": str(statement.payable_yuan),
                "held_yuan": str(statement.held_yuan),
            },
        )
    result.statements = list(statements.values())
    from yiyang.settlement.services.risk import risk_compute

    risk_compute(first=first, last=last, provider_ids=provider_ids)


def _clear_drafts(first: datetime.date, targets: list[Contract]) -> None:
    """The lines of the drafts being rebuilt go, in two statements (a draft has no
    decisions; its adjustment lines are settled again, so their adjustments are freed)."""
    drafts = Statement.objects.filter(month=first, contract__in=targets)
    Adjustment.objects.filter(settled_line__statement__in=drafts).update(settled_line=None)
    lines = StatementLine.objects.filter(statement__in=drafts)
    LineDecision.objects.filter(line__in=lines).delete()
    LineHold.objects.filter(line__in=lines)._raw_delete(LineHold.objects.db)
    lines._raw_delete(lines.db)


def _terms(targets: list[Contract], statements: dict[int, Statement]) -> list[tuple[Any, ...]]:
    """What each contract covers, one row per (kind of unit, service, area): its provider,
    the service (0 stands for a unit without one, which any service of the contract
    covers), the area's code prefix, the period and the kind of unit it takes. An area
    inside another area of the same contract adds nothing, so it is left out (a unit
    matches a contract at most once). A contract of a caregiver-subsidy budget line covers
    the caregivers' subsidies of its provider (``PAYEE_ITEM``) and nothing else; a
    meal-only contract its canteen's meals (without a service); a home-care contract its
    services' visits, never meals."""
    terms: list[tuple[Any, ...]] = []
    for contract in targets:
        prefixes = sorted({a.code_prefix for a in contract.areas.all()}, key=len)
        kept: list[str] = []
        for prefix in prefixes:
            if not any(prefix.startswith(k) for k in kept):
                kept.append(prefix)
        if contract.budget_line.purpose == FundPurpose.CAREGIVERS:
            items, kinds = [PAYEE_ITEM], tuple(PAYEE_KINDS)
        elif contract.scope == ContractScope.MEALS:
            items, kinds = [NO_ITEM], SCOPE_SOURCES[ContractScope.MEALS]
        elif contract.package_yuan is not None:  # one package line per elder, no visits
            items, kinds = [NO_ITEM], (SourceKind.PACKAGE.value,)
        else:
            items = [i.item_id for i in contract.items.all()] + [NO_ITEM]
            kinds = SCOPE_SOURCES.get(contract.scope, ())
        statement_id = statements[contract.id].id
        terms.extend(
            (
                contract.id,
                statement_id,
                contract.provider_id,
                item,
                prefix,
                contract.starts_on,
                contract.ends_on,
                kind,
            )
            for kind in kinds
            for item in items
            for prefix in kept
        )
    return terms


def _statements(
    first: datetime.date, targets: list[Contract]
) -> tuple[dict[int, Statement], set[int]]:
    """The draft statement of every target contract (existing ones kept, new ones made);
    the new ones are returned too, to be dropped if the month gives them nothing."""
    existing = {
        s.contract_id: s for s in Statement.objects.filter(month=first, contract__in=targets)
    }
    statements: dict[int, Statement] = {}
    fresh: set[int] = set()
    for contract in targets:
        statement = existing.get(contract.id)
        if statement is None:
            statement = Statement(
                contract=contract,
                provider_id=contract.provider_id,
                division_code=contract.division_code,
                month=first,
            )
            fresh.add(contract.id)
        statement.due_on = due_in("confirm")
        statement.save()
        statements[contract.id] = statement
    return statements, fresh


def _drop_empty(statements: dict[int, Statement], fresh: set[int]) -> None:
    """A new statement with no line (no unit, no adjustment) is not kept."""
    for contract_id in sorted(fresh):
        if statements[contract_id].lines_count == 0:
            statements.pop(contract_id).delete()


def _settle_adjustments(first: datetime.date, statements: dict[int, Statement]) -> None:
    """Corrections of approved months become lines of this month, naming the original."""
    pending = Adjustment.objects.filter(
        contract_id__in=list(statements),
        settled_line__isnull=True,
        line__statement__month__lt=first,
    ).select_related("line")
    for adjustment in pending:
        original = adjustment.line
        line = StatementLine.objects.create(
            statement=statements[adjustment.contract_id],
            external_id=uuid.uuid4(),
            source_kind=SourceKind.ADJUSTMENT,
            source_id=adjustment.id,
            elder_id=original.elder_id,
            division_code=original.division_code,
            caregiver_id=original.caregiver_id,
            item_id=original.item_id,
            date=first,
            description=original.description,
            price_yuan=ZERO,
            allowance_yuan=adjustment.amount_yuan,
            ltc_yuan=ZERO,
            self_pay_yuan=ZERO,
            payable_yuan=adjustment.amount_yuan,
            status=LineStatus.PAYABLE,
            adjusts=original,
        )
        adjustment.settled_line = line
        adjustment.save(update_fields=["settled_line"])


def _money_sum(expression: object, condition: Q | None = None) -> Coalesce:
    return Coalesce(
        Sum(expression, filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def statement_totals(statements: Sequence[Statement]) -> None:
    """Every total of each statement from its lines, in one grouped query (exact)."""
    if not statements:
        return
    decided = Q(status__in=(LineStatus.REDUCED, LineStatus.REJECTED))
    sums = {
        row["statement_id"]: row
        for row in StatementLine.objects.filter(statement__in=statements)
        .values("statement_id")
        .annotate(
            n=Count("id"),
            price=_money_sum("price_yuan"),
            allowance=_money_sum("allowance_yuan"),
            ltc=_money_sum("ltc_yuan"),
            self_pay=_money_sum("self_pay_yuan"),
            payable=_money_sum("payable_yuan"),
            held=_money_sum("allowance_yuan", Q(status=LineStatus.HELD)),
            withheld=_money_sum(
                Case(
                    When(decided, then=F("allowance_yuan") - F("payable_yuan")),
                    default=Value(ZERO),
                )
            ),
        )
    }
    for statement in statements:
        row = sums.get(statement.id, {})
        statement.lines_count = row.get("n", 0) or 0
        statement.price_yuan = row.get("price", ZERO)
        statement.allowance_yuan = row.get("allowance", ZERO)
        statement.ltc_yuan = row.get("ltc", ZERO)
        statement.self_pay_yuan = row.get("self_pay", ZERO)
        statement.payable_yuan = row.get("payable", ZERO)
        statement.held_yuan = row.get("held", ZERO)
        statement.withheld_yuan = row.get("withheld", ZERO)
    Statement.objects.bulk_update(
        statements,
        [
            "lines_count",
            "price_yuan",
            "allowance_yuan",
            "ltc_yuan",
            "self_pay_yuan",
            "payable_yuan",
            "held_yuan",
            "withheld_yuan",
        ],
    )
