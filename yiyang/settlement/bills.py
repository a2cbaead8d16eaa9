"""Each elder's monthly bill for the family: the services received, what the subsidy
covered (what the statement line pays once decided; while held or not yet settled, the
ordered allowance shows as pending), insurance and self-pay. Under a monthly package the
visits show as included in it and the package is one row of its own: paid wholly from
the allowance, nothing due from the family."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.models import Elder
from yiyang.settlement.choices import LineStatus, SourceKind
from yiyang.settlement.models import ContractItem, PackageMonth, StatementLine

ZERO = Decimal("0.00")


@dataclass
class Bill:
    """An elder's month: the services received, what the subsidy covered, what is due."""

    elder: Elder
    month: datetime.date
    rows: list[dict[str, Any]]
    price: Decimal
    subsidy: Decimal
    ltc: Decimal
    self_pay: Decimal
    pending: Decimal


def _row(
    date: datetime.date,
    service: str,
    price: Decimal | None,
    line: StatementLine | None,
    allowance: Decimal,
    ltc: Decimal,
    self_pay: Decimal,
) -> dict[str, Any]:
    settled = line is not None and line.status != LineStatus.HELD
    return {
        "date": date,
        "service": service,
        "price": price,
        "allowance": allowance,
        "subsidy": line.payable_yuan if settled and line else ZERO,
        "settled": settled,
        "ltc": ltc,
        "self_pay": self_pay,
        "in_package": price is None,
    }


def _packages(elder: Elder, month: datetime.date) -> tuple[list[PackageMonth], set[tuple]]:
    """The elder's package months and the (provider, service) pairs they cover."""
    units = list(PackageMonth.objects.filter(elder=elder, month=month).select_related("contract"))
    covered = {
        (unit.contract.provider_id, item_id)
        for unit in units
        for item_id in ContractItem.objects.filter(contract=unit.contract).values_list(
            "item_id", flat=True
        )
    }
    return units, covered


def elder_bill(elder: Elder, month: datetime.date) -> Bill:
    from yiyang.visits.choices import VisitOutcome, VisitStatus
    from yiyang.visits.models import Visit

    last = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    visits = list(
        Visit.objects.filter(
            elder=elder,
            date__gte=month,
            date__lte=last,
            status=VisitStatus.CONFIRMED,
            outcome__in=["", VisitOutcome.DONE],
        )
        .select_related("item")
        .order_by("date", "window_start")
    )
    units, covered = _packages(elder, month)
    lines = {
        (line.source_kind, line.source_id): line
        for line in StatementLine.objects.filter(
            source_kind=SourceKind.VISIT, source_id__in=[v.id for v in visits]
        )
    }
    lines.update(
        ((line.source_kind, line.source_id), line)
        for line in StatementLine.objects.filter(
            source_kind=SourceKind.PACKAGE, source_id__in=[u.id for u in units]
        )
    )
    rows = []
    for visit in visits:
        if (visit.provider_id, visit.item_id) in covered:
            rows.append(_row(visit.date, visit.item.name, None, None, ZERO, ZERO, ZERO))
            continue
        rows.append(
            _row(
                visit.date,
                visit.item.name,
                visit.price,
                lines.get((SourceKind.VISIT, visit.id)),
                visit.allowance_yuan,
                visit.ltc_yuan,
                visit.self_pay_yuan,
            )
        )
    for unit in units:
        line = lines.get((SourceKind.PACKAGE, unit.id))
        amount = line.price_yuan if line else unit.contract.package_yuan or ZERO
        service = _("Monthly service package (%(n)s visits)") % {"n": unit.verified_visits}
        rows.append(_row(month, service, amount, line, amount, ZERO, ZERO))
    priced = [r for r in rows if not r["in_package"]]
    return Bill(
        elder=elder,
        month=month,
        rows=rows,
        price=sum((r["price"] for r in priced), ZERO),
        subsidy=sum((r["subsidy"] for r in priced), ZERO),
        ltc=sum((r["ltc"] for r in priced), ZERO),
        self_pay=sum((r["self_pay"] for r in priced), ZERO),
        pending=sum((r["allowance"] for r in priced if not r["settled"]), ZERO),
    )


def family_bills(*, actor: Actor, month: datetime.date) -> list[Bill]:
    """The monthly bill of every elder the family login may see (linked, with consent)."""

    require_perm(actor, Permission.VIEW_OWN_BILL)
    return [
        elder_bill(elder, month)
        for elder in actor.scope.apply(Elder.objects.all(), elder_field="pk").order_by("id")
    ]
