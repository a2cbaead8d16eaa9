"""The contract form shows only the fields that apply to the kind of contract: unit prices
for home care, the package's terms for a monthly package, neither for meals only; and the
server keeps to the same rule."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client

from tests.conftest import login
from tests.settlement.conftest import Books, canteen_of_the_provider, meal_contract
from yiyang.core.permissions import Role
from yiyang.settlement.models import BudgetLine, Contract


def _body(books: Books, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "number": "HT-2031-001",
        "provider": books.world.org["home_care"].pk,
        "buyer": books.world.div["XA"].pk,
        "budget_line": books.line.pk,
        "starts_on": "2031-01-01",
        "ends_on": "2031-12-31",
        "cap_yuan": "90000.00",
        "areas": [books.world.div["XA2"].pk],
        "on_time_target": "90",
        "verified_target": "95",
        "complaints_limit": "5",
    }
    body.update(changes)
    return body


def _fields(page) -> set[str]:
    return set(page.context["form"].fields)


def test_each_kind_of_contract_shows_only_its_own_fields(books: Books) -> None:
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    home = _fields(district.get("/settlement/contracts/new/"))
    assert "price_JW03" in home and "package_yuan" not in home
    meals = district.get("/settlement/contracts/new/?kind=meals")
    assert not any(f.startswith("price_") or f.startswith("package") for f in _fields(meals))
    assert "price_JW03" not in meals.content.decode()
    package = _fields(district.get("/settlement/contracts/new/?kind=package"))
    assert {"package_yuan", "package_min_visits", "package_services"} <= package
    assert not any(f.startswith("price_") for f in package)


def test_a_package_contract_by_form(books: Books) -> None:
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    url = "/settlement/contracts/new/?kind=package"
    refused = district.post(
        url, _body(books, package_yuan="0", package_min_visits="4", package_services=["ZJ02"])
    )
    assert refused.status_code == 400 and "package_yuan" in refused.context["form"].errors
    assert not Contract.objects.filter(number="HT-2031-001").exists()
    done = district.post(
        url,
        _body(
            books, package_yuan="600.00", package_min_visits="4", package_services=["ZJ02", "ZJ03"]
        ),
    )
    assert done.status_code == 302
    contract = Contract.objects.get(number="HT-2031-001")
    assert contract.package_yuan == Decimal("600.00") and contract.package_min_visits == 4
    assert {i.item.code for i in contract.items.all()} == {"ZJ02", "ZJ03"}
    edit = district.get(f"/settlement/contracts/{contract.external_id}/edit/")
    assert "package_yuan" in _fields(edit) and "price_ZJ02" not in _fields(edit)
    listing = district.get("/settlement/contracts/").content.decode()
    assert "600.00" in listing


def test_a_meal_contract_is_changed_without_prices_and_a_price_sent_is_ignored(
    books: Books,
) -> None:
    canteen_of_the_provider(books)
    contract = meal_contract(books)
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    url = f"/settlement/contracts/{contract.external_id}/edit/"
    page = district.get(url)
    assert page.status_code == 200
    assert not any(f.startswith("price_") for f in _fields(page))
    line = BudgetLine.objects.get(name="助餐补贴")
    body = _body(
        books,
        number=contract.number,
        budget_line=line.pk,
        cap_yuan="60000.00",
        starts_on=f"{contract.starts_on:%Y-%m-%d}",
        ends_on=f"{contract.ends_on:%Y-%m-%d}",
        areas=[books.world.div["XA1"].pk],
        price_JW03="45.00",
    )
    body.pop("provider")
    assert district.post(url, body).status_code == 302
    contract.refresh_from_db()
    assert contract.cap_yuan == Decimal("60000.00") and contract.items.count() == 0
    assert contract.scope == "meals"
