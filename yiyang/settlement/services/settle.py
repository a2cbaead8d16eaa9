"""The monthly settlement run: one statement per live contract, one line per billable
unit of every registered source, each held line with its reasons. All or nothing."""

from __future__ import annotations

import calendar
import datetime
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.organisations.models import Organisation
from yiyang.settlement.choices import LineStatus, SourceKind, StatementStatus
from yiyang.settlement.models import (
    Adjustment,
    Contract,
    LineHold,
    Statement,
    StatementLine,
)
from yiyang.settlement.rules import SourceRow, hold_allowance, hold_duplicates, hold_unavailable
from yiyang.settlement.selectors import elder_status_timelines, monthly_entitlements
from yiyang.settlement.sources import SOURCES

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
    return list(queryset.prefetch_related("items", "areas").order_by("id"))


def _match(
    rows: Sequence[SourceRow], contracts: Sequence[Contract]
) -> tuple[dict[int, list[SourceRow]], int]:
    """Each row under the live contract of its provider covering its service, area and
    date; rows with an allowance and no such contract are counted uncovered."""
    by_provider: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        by_provider[contract.provider_id].append(contract)
    terms = {
        c.id: ({i.item_id for i in c.items.all()}, tuple(a.code_prefix for a in c.areas.all()))
        for c in contracts
    }
    matched: dict[int, list[SourceRow]] = defaultdict(list)
    uncovered = 0
    for row in rows:
        for contract in by_provider.get(row.provider_id, ()):
            items, prefixes = terms[contract.id]
            if (
                contract.starts_on <= row.date <= contract.ends_on
                and (row.item_id is None or row.item_id in items)
                and row.division_code.startswith(prefixes)
            ):
                matched[contract.id].append(row)
                break
        else:
            uncovered += row.allowance > 0
    return matched, uncovered


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
        Statement.objects.select_for_update().filter(month=first, contract__in=targets).exists()
        StatementLine.objects.filter(
            statement__month=first, statement__contract__in=targets
        ).delete()
        provider_ids = {c.provider_id for c in targets}
        rows: list[SourceRow] = []
        for source in SOURCES.values():
            rows.extend(source.collect(first, last, provider_ids))
        billed = _billed(rows)
        rows = [r for r in rows if (r.kind, r.source_id) not in billed]
        _general_holds(rows, last)
        matched, result.uncovered = _match(rows, targets)
        statements = _statements(first, targets, matched)
        result.lines, result.held = _write_lines(statements, matched)
        _settle_adjustments(first, statements)
        statement_totals(list(statements.values()))
        for statement in statements.values():
            audit_record(
                actor=actor, action=AuditAction.CREATE, obj=statement,
                division_code=statement.division_code,
                changes={
                    "lines": statement.lines_count, "payable_yuan": str(statement.payable_yuan),
                    "held_yuan": str(statement.held_yuan),
                },
            )  # fmt: skip
        result.statements = list(statements.values())
        from yiyang.settlement.services.risk import risk_compute

        risk_compute(first=first, last=last, provider_ids=provider_ids)
    return result


def _billed(rows: Sequence[SourceRow]) -> set[tuple[str, int]]:
    """Rows already on a statement (a unit is billed once, whatever the statement). A
    line carries its unit's date, so one indexed range per kind finds them."""
    dates: dict[str, list[datetime.date]] = defaultdict(list)
    for row in rows:
        dates[row.kind].append(row.date)
    billed: set[tuple[str, int]] = set()
    for kind, days in dates.items():
        found = StatementLine.objects.filter(
            source_kind=kind, date__gte=min(days), date__lte=max(days)
        ).values_list("source_id", flat=True)
        billed.update((kind, source_id) for source_id in found.iterator(chunk_size=10000))
    return billed


def _general_holds(rows: list[SourceRow], last: datetime.date) -> None:
    elders = {r.elder_id for r in rows}
    hold_unavailable(rows, elder_status_timelines(elders))
    hold_duplicates(rows)
    rows = [r for r in rows if r.kind == SourceKind.VISIT]  # meals: the counter caps subsidy
    claimed = {r.elder_id for r in rows if r.allowance > 0}
    entitlements = monthly_entitlements(claimed, last)
    hold_allowance(rows, lambda elder_id: entitlements.get(elder_id))


def _statements(
    first: datetime.date, targets: list[Contract], matched: dict[int, list[SourceRow]]
) -> dict[int, Statement]:
    existing = {
        s.contract_id: s for s in Statement.objects.filter(month=first, contract__in=targets)
    }
    pending = set(
        Adjustment.objects.filter(
            contract__in=targets, settled_line__isnull=True, line__statement__month__lt=first
        ).values_list("contract_id", flat=True)
    )
    statements: dict[int, Statement] = {}
    for contract in targets:
        if (
            contract.id not in matched
            and contract.id not in pending
            and contract.id not in existing
        ):
            continue
        statement = existing.get(contract.id) or Statement(
            contract=contract, provider_id=contract.provider_id,
            division_code=contract.division_code, month=first,
        )  # fmt: skip
        statement.due_on = due_in("confirm")
        statement.save()
        statements[contract.id] = statement
    return statements


LINE_COLUMNS = (
    "statement_id", "external_id", "source_kind", "source_id", "elder_id", "division_code",
    "caregiver_id", "item_id", "date", "description", "price_yuan", "allowance_yuan",
    "ltc_yuan", "self_pay_yuan", "payable_yuan", "status", "adjusts_id", "dispute_reason",
)  # fmt: skip


def _write_lines(
    statements: dict[int, Statement], matched: dict[int, list[SourceRow]]
) -> tuple[int, int]:
    """Write the lines and their holds: COPY on PostgreSQL (a city month is a million
    rows), bulk inserts elsewhere."""
    lines: list[tuple[object, ...]] = []
    held: dict[uuid.UUID, dict[str, dict[str, object]]] = {}
    for contract_id, rows in matched.items():
        statement_id = statements[contract_id].id
        for row in rows:
            key = uuid.uuid4()
            lines.append((
                statement_id, key, row.kind, row.source_id, row.elder_id, row.division_code,
                row.caregiver_id, row.item_id, row.date, row.description[:200], row.price,
                row.allowance, row.ltc, row.self_pay, ZERO if row.holds else row.allowance,
                LineStatus.HELD.value if row.holds else LineStatus.PAYABLE.value, None, "",
            ))  # fmt: skip
            if row.holds:
                held[key] = row.holds
    if connection.vendor == "postgresql":
        _copy("settlement_statementline", LINE_COLUMNS, lines)
    else:
        for i in range(0, len(lines), BATCH):
            StatementLine.objects.bulk_create(
                StatementLine(**dict(zip(LINE_COLUMNS, line, strict=True)))
                for line in lines[i : i + BATCH]
            )
    keys = list(held)
    ids: dict[uuid.UUID, int] = {}
    for i in range(0, len(keys), BATCH):
        ids.update(
            StatementLine.objects.filter(external_id__in=keys[i : i + BATCH]).values_list(
                "external_id", "id"
            )
        )
    holds = [
        (ids[key], reason, detail) for key, reasons in held.items()
        for reason, detail in reasons.items()
    ]  # fmt: skip
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        sealed = [(line_id, reason, Jsonb(detail)) for line_id, reason, detail in holds]
        _copy("settlement_linehold", ("line_id", "reason", "detail"), sealed)
    else:
        LineHold.objects.bulk_create(
            (LineHold(line_id=line, reason=why, detail=detail) for line, why, detail in holds),
            batch_size=BATCH,
        )
    return len(lines), len(held)


def _copy(table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def _settle_adjustments(first: datetime.date, statements: dict[int, Statement]) -> None:
    """Corrections of approved months become lines of this month, naming the original."""
    pending = Adjustment.objects.filter(
        contract_id__in=list(statements), settled_line__isnull=True,
        line__statement__month__lt=first,
    ).select_related("line")  # fmt: skip
    for adjustment in pending:
        original = adjustment.line
        line = StatementLine.objects.create(
            statement=statements[adjustment.contract_id], external_id=uuid.uuid4(),
            source_kind=SourceKind.ADJUSTMENT, source_id=adjustment.id, elder_id=original.elder_id,
            division_code=original.division_code, caregiver_id=original.caregiver_id,
            item_id=original.item_id, date=first, description=original.description,
            price_yuan=ZERO, allowance_yuan=adjustment.amount_yuan, ltc_yuan=ZERO,
            self_pay_yuan=ZERO, payable_yuan=adjustment.amount_yuan, status=LineStatus.PAYABLE,
            adjusts=original,
        )  # fmt: skip
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
            n=Count("id"), price=_money_sum("price_yuan"), allowance=_money_sum("allowance_yuan"),
            ltc=_money_sum("ltc_yuan"), self_pay=_money_sum("self_pay_yuan"),
            payable=_money_sum("payable_yuan"),
            held=_money_sum("allowance_yuan", Q(status=LineStatus.HELD)),
            withheld=_money_sum(Case(
                When(decided, then=F("allowance_yuan") - F("payable_yuan")), default=Value(ZERO),
            )),
        )
    }  # fmt: skip
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
