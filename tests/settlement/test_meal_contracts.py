"""Meal-only contracts: a canteen's contract with the bureau (scope ``meals``) bills the
served meals' subsidy and nothing else; a home-care contract of the same organisation
bills its visits and never picks a meal up; bad contracts are refused on their field
with nothing written."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_elder
from tests.settlement.conftest import Books, canteen_of_the_provider, meal_contract
from yiyang.core.permissions import Role
from yiyang.meals.models import Canteen, ServedMeal
from yiyang.meals.services import meal_serve
from yiyang.settlement import services
from yiyang.settlement.models import Contract, StatementLine


def _served_lunch(books: Books, canteen: Canteen, day: int = 4) -> ServedMeal:
    elder = make_elder(
        books.world.user[Role.STREET_OFFICER],
        books.world.div["XA1a"],
        name="孙奶奶",
        birth="19400101",
    )
    at = datetime.datetime.combine(
        books.month.replace(day=day), datetime.time(11, 45), tzinfo=datetime.UTC
    )
    served = meal_serve(
        actor=books.manager, canteen=canteen, elder=elder, meal="lunch", at=at, now=at
    ).meal
    assert served.subsidy_yuan == Decimal("5.00")
    return served


def test_a_meal_only_contract_settles_meals_and_the_home_care_one_visits(books: Books) -> None:
    canteen = canteen_of_the_provider(books)
    meal = _served_lunch(books, canteen)
    visit = books.visit()
    meals_contract = meal_contract(books)
    result = services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)
    lines = sorted(
        (line.statement.contract.number, line.source_kind, line.source_id, line.allowance_yuan)
        for line in StatementLine.objects.select_related("statement__contract")
    )
    assert lines == [
        ("HT-2026-001", "visit", visit.pk, Decimal("30.00")),
        ("ZC-001", "meal", meal.pk, Decimal("5.00")),
    ]
    assert meals_contract.scope == "meals" and result.uncovered == 0


def test_a_home_care_contract_does_not_pick_meals_up(books: Books) -> None:
    canteen = canteen_of_the_provider(books)
    _served_lunch(books, canteen)
    visit = books.visit()
    result = services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)
    assert list(StatementLine.objects.values_list("source_kind", "source_id")) == [
        ("visit", visit.pk)
    ]
    assert result.uncovered == 1  # the meal's subsidy has no meal contract to bill


def test_bad_meal_contracts_are_refused_on_their_field(books: Books) -> None:
    before = Contract.objects.count()
    with pytest.raises(ValidationError) as no_canteen:
        meal_contract(books)
    assert set(no_canteen.value.message_dict) == {"provider"}
    canteen_of_the_provider(books)
    item = books.items["JW03"]
    with pytest.raises(ValidationError) as priced:
        meal_contract(books, prices={item: item.standard_price})
    assert "unit prices empty" in priced.value.message_dict["items"][0]
    with pytest.raises(ValidationError) as wrong_line:
        meal_contract(books, budget_line=books.line)
    assert set(wrong_line.value.message_dict) == {"budget_line"}
    with pytest.raises(ValidationError) as unknown:
        meal_contract(books, scope="devices")
    assert set(unknown.value.message_dict) == {"scope"}
    assert Contract.objects.count() == before
    contract = meal_contract(books)
    with pytest.raises(ValidationError) as changed:
        services.contract_update(
            actor=books.world.user[Role.DISTRICT_OFFICER],
            contract=contract,
            number=contract.number,
            buyer=contract.buyer,
            budget_line=contract.budget_line,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            cap_yuan="1.00",
            prices={},
            areas=[books.world.div["XA1"]],
            scope="home_care",
        )
    assert set(changed.value.message_dict) == {"scope"}
