"""The set-based settlement run: each hold reason's detail, sources registered from other
apps (Python rows), units already billed, nested contract areas, and the refusal of an
allowance share that no live contract covers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tests.settlement.conftest import Books, canteen_of_the_provider, meal_contract
from yiyang.core.permissions import Role
from yiyang.settlement import services
from yiyang.settlement.models import LineHold, StatementLine
from yiyang.settlement.rules import SourceRow
from yiyang.settlement.sources import SOURCES, register_source


def settle(books: Books):
    return services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)


def detail(source_id: int, reason: str, kind: str = "visit") -> dict[str, Any]:
    return LineHold.objects.get(
        line__source_kind=kind, line__source_id=source_id, reason=reason
    ).detail


def test_each_hold_names_what_it_found(books: Books) -> None:
    flagged = books.visit(day=2, review_status="pending")
    a = books.visit(day=5, hour=9, caregiver="zhao")
    b = books.visit(elder="zhang", day=5, hour=9, minutes=30, caregiver="zhao", code="ZY01")
    first = books.visit(day=7, hour=10)
    twice = books.visit(day=7, hour=10, minutes=50, caregiver="li")
    over = [books.visit(elder="zhang", day=d, allowance="100.00") for d in (10, 11, 12, 13)]
    result = settle(books)
    assert detail(flagged.id, "flag_unreviewed") == {"flags": []}
    assert detail(a.id, "caregiver_elsewhere") == {"other": b.id}
    assert detail(b.id, "caregiver_elsewhere") == {"other": a.id}
    assert detail(twice.id, "duplicate") == {"of": first.id, "kind": "visit"}
    assert not LineHold.objects.filter(line__source_id=first.id, reason="duplicate").exists()
    # zhang: 30 (b) + 100 + 100 = 230, then 330 and 430 pass the 300 a month.
    assert detail(over[2].id, "allowance_exceeded") == {"limit": "300.00", "total": "330.00"}
    assert detail(over[3].id, "allowance_exceeded") == {"limit": "300.00", "total": "430.00"}
    assert [
        LineHold.objects.filter(line__source_id=v.id, reason="allowance_exceeded").exists()
        for v in over
    ] == [False, False, True, True]
    statement = result.statements[0]
    held = StatementLine.objects.filter(statement=statement, status="held")
    assert result.held == held.count() == 6
    assert all(line.payable_yuan == Decimal("0.00") for line in held)


def test_the_registry_history_holds_only_the_days_away(books: Books) -> None:
    from yiyang.elders.models import Elder

    Elder.objects.filter(pk=books.elders["liu"].pk).update(
        status="deceased", deceased_on=books.month.replace(day=20)
    )
    before = books.visit(day=19)
    after = books.visit(day=21)
    settle(books)
    unavailable = LineHold.objects.filter(reason="elder_unavailable")
    assert not unavailable.filter(line__source_id=before.id).exists()
    assert detail(after.id, "elder_unavailable") == {"status": "deceased"}


@pytest.fixture
def meals_source(books: Books):
    """A source registered the way the meals app will: Python rows, one hold of its own."""
    rows: list[SourceRow] = []

    def collect(first: datetime.date, last: datetime.date, providers: Any) -> list[SourceRow]:
        return [r for r in rows if first <= r.date <= last and r.provider_id in providers]

    real = SOURCES.get("meal")  # the meals app's own source, put back afterwards
    register_source("meal", "served meal", collect)
    yield rows
    SOURCES.pop("meal")
    if real is not None:
        SOURCES["meal"] = real


def _meal(books: Books, n: int, day: int, allowance: str = "5.00") -> SourceRow:
    elder = books.elders["liu"]
    return SourceRow(
        kind="meal",
        source_id=n,
        elder_id=elder.id,
        division_code=elder.division_code,
        provider_id=books.provider.id,
        date=books.month.replace(day=day),
        description="午餐",
        price=Decimal("15.00"),
        allowance=Decimal(allowance),
        ltc=Decimal("0.00"),
        self_pay=Decimal("15.00") - Decimal(allowance),
    )


def test_a_registered_source_is_billed_with_its_own_and_the_general_holds(
    books: Books, meals_source: list[SourceRow]
) -> None:
    visit = books.visit(day=3, allowance="290.00")
    lunch = _meal(books, 1, 4, allowance="5.00")
    dinner = _meal(books, 2, 5, allowance="10.00")
    dinner.hold("flag_unreviewed", flags=["no_photo"])
    meals_source.extend([lunch, dinner])
    canteen_of_the_provider(books)
    meal_contract(books)  # meals are billed under the provider's meal-only contract
    result = settle(books)
    assert result.lines == 3
    lines = {(line.source_kind, line.source_id): line for line in StatementLine.objects.all()}
    assert lines[("visit", visit.id)].status == "payable"
    assert lines[("meal", 1)].status == "payable"
    assert lines[("meal", 1)].item_id is None
    assert detail(2, "flag_unreviewed", kind="meal") == {"flags": ["no_photo"]}
    # A meal's subsidy is its own entitlement, capped at the counter: it never counts
    # against the elder's monthly home-care allowance (290 + 5 + 10 > 300 holds nothing).
    assert not LineHold.objects.filter(line__source_kind="meal", reason="allowance_exceeded")
    assert not LineHold.objects.filter(reason="allowance_exceeded").exists()
    assert sorted(s.allowance_yuan for s in result.statements) == [
        Decimal("15.00"),
        Decimal("290.00"),
    ]


def test_units_already_on_a_confirmed_statement_are_not_billed_again(books: Books) -> None:
    """A second contract's draft is rebuilt while the first's statement is confirmed: the
    visits on the confirmed one stay there."""
    from yiyang.settlement.models import ContractItem

    books.visit(day=3)
    first = settle(books).statements[0]
    services.statement_confirm(actor=books.manager, statement=first)
    ContractItem.objects.filter(contract=books.contract, item=books.items["ZY02"]).delete()
    services.contract_create(
        actor=books.world.user[Role.DISTRICT_OFFICER],
        number="HT-2026-002",
        buyer=books.world.div["XA"],
        provider=books.provider,
        budget_line=books.line,
        starts_on=books.month,
        ends_on=books.month.replace(day=28),
        cap_yuan="100.00",
        prices={books.items["ZY02"]: "10.00"},
        areas=[books.world.div["XA1"]],
    )
    late = books.visit(day=8, code="ZY02")
    result = settle(books)
    assert [s.contract.number for s in result.statements] == ["HT-2026-002"]
    assert StatementLine.objects.filter(statement=first).count() == 1
    assert StatementLine.objects.get(source_id=late.id).statement.contract.number == "HT-2026-002"


def test_a_contract_serving_a_district_and_its_street_bills_each_visit_once(
    books: Books,
) -> None:
    from yiyang.settlement.models import ContractArea

    ContractArea.objects.create(
        contract=books.contract,
        division=books.world.div["XA1a"],
        code_prefix=books.world.div["XA1a"].code_prefix,
    )
    books.visit(day=3)
    assert settle(books).lines == 1


def test_an_order_may_use_the_allowance_only_under_a_live_contract(books: Books) -> None:
    from yiyang.services import services as catalogue
    from yiyang.visits.services import order_place

    for code in ("JW03",):
        catalogue.offering_set(
            actor=books.manager,
            provider=books.provider,
            item=books.items[code],
            price=books.items[code].standard_price,
        )
    catalogue.service_areas_set(
        actor=books.manager, provider=books.provider, divisions=[books.world.div["XA1"]]
    )
    today = datetime.date.today()
    worker = books.world.user[Role.STREET_OFFICER]
    kwargs: dict[str, Any] = {
        "actor": worker,
        "elder": books.elders["liu"],
        "provider": books.provider,
        "starts_on": today + datetime.timedelta(days=2),
        "window_start": datetime.time(9),
        "window_end": datetime.time(11),
        "split_reason": "officer's split",
    }
    books.contract.ends_on = today
    books.contract.save()
    with pytest.raises(ValidationError) as refused:
        order_place(item=books.items["JW03"], allowance_yuan="10.00", **kwargs)
    assert "allowance_yuan" in refused.value.message_dict
    assert "HT" not in str(refused.value)  # names the provider and service, not codes
    order = order_place(item=books.items["JW03"], allowance_yuan="0.00", **kwargs)
    assert order.allowance_yuan == Decimal("0.00")
    books.contract.ends_on = today + datetime.timedelta(days=30)
    books.contract.save()
    covered = order_place(item=books.items["JW03"], allowance_yuan="10.00", **kwargs)
    assert covered.allowance_yuan == Decimal("10.00")


def test_where_two_contracts_could_cover_a_visit_the_first_takes_it(books: Books) -> None:
    """Overlapping contracts are refused when made; one written past that check (an older
    record) still bills each visit once, under the first contract."""
    from yiyang.settlement.models import Contract, ContractArea, ContractItem

    twin = Contract.objects.create(
        number="HT-TWIN",
        buyer=books.contract.buyer,
        division_code=books.contract.division_code,
        provider=books.provider,
        budget_line=books.line,
        starts_on=books.contract.starts_on,
        ends_on=books.contract.ends_on,
        cap_yuan=Decimal("100.00"),
    )
    ContractItem.objects.create(contract=twin, item=books.items["JW03"], unit_price=Decimal("1"))
    ContractArea.objects.create(
        contract=twin,
        division=books.world.div["XA1a"],
        code_prefix=books.world.div["XA1a"].code_prefix,
    )
    visit = books.visit(day=3)
    result = settle(books)
    assert result.lines == 1
    line = StatementLine.objects.get(source_id=visit.id)
    assert line.statement.contract_id == books.contract.id
    assert [s.contract.number for s in result.statements] == ["HT-2026-001"]
