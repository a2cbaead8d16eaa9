"""Pages that set the money up (budget lines, district shares, contracts new and
changed), the statement as PDF, and the reminders of due steps."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.test import Client

from tests.conftest import login
from tests.settlement.conftest import Books
from yiyang.core.permissions import Role
from yiyang.settlement import services
from yiyang.settlement.models import BudgetAllocation, BudgetLine, Contract


def settle(books: Books):
    return services.settle_month(
        actor=books.world.user[Role.FINANCE_OFFICER], month=books.month
    ).statements[0]


def test_the_statement_downloads_as_pdf_for_those_who_see_it(books: Books) -> None:
    books.visit(day=3)
    books.visit(day=4, review_status="pending")
    statement = settle(books)
    answer = login(Client(), books.manager).get(
        f"/settlement/statements/{statement.external_id}/pdf/"
    )
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF") and len(answer.content) > 2000
    api = login(Client(), books.world.user[Role.FINANCE_OFFICER]).get(
        f"/api/v1/statements/{statement.external_id}/pdf/"
    )
    assert api.status_code == 200 and api.content.startswith(b"%PDF")
    other = login(Client(), books.users["street_xa2"])
    assert other.get(f"/settlement/statements/{statement.external_id}/pdf/").status_code == 404


def test_a_budget_line_and_a_districts_share_by_form(books: Books) -> None:
    finance = login(Client(), books.world.user[Role.FINANCE_OFFICER])
    city = books.world.div["X"]
    body = {
        "name": "市级居家养老补助",
        "source": "city",
        "purpose": "home_care",
        "year": "2026",
        "amount_yuan": "0",
        "city": str(city.pk),
    }
    refused = finance.post("/settlement/budgets/new/", body)
    assert refused.status_code == 400 and "amount_yuan" in refused.context["form"].errors
    assert not BudgetLine.objects.filter(name="市级居家养老补助").exists()
    body["amount_yuan"] = "7500000.00"
    assert finance.post("/settlement/budgets/new/", body).status_code == 302
    line = BudgetLine.objects.get(name="市级居家养老补助")
    assert line.amount_yuan == Decimal("7500000.00")
    url = f"/settlement/budgets/{line.external_id}/allocate/"
    district = books.world.div["XA"]
    too_much = finance.post(url, {"district": district.pk, "amount_yuan": "8000000.00"})
    assert too_much.status_code == 400 and "amount_yuan" in too_much.context["form"].errors
    assert (
        finance.post(url, {"district": district.pk, "amount_yuan": "1000000.00"}).status_code == 302
    )
    assert BudgetAllocation.objects.get(line=line).amount_yuan == Decimal("1000000.00")
    street = login(Client(), books.world.user[Role.STREET_OFFICER])
    assert street.get("/settlement/budgets/new/").status_code == 403


def _contract_body(books: Books, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "number": "HT-2027-009",
        "provider": books.world.org["home_care"].pk,
        "buyer": books.world.div["XA"].pk,
        "budget_line": books.line.pk,
        "starts_on": "2030-01-01",
        "ends_on": "2030-12-31",
        "cap_yuan": "90000.00",
        "areas": [books.world.div["XA2"].pk],
        "on_time_target": "90",
        "verified_target": "95",
        "complaints_limit": "5",
        "price_JW03": "45.00",
    }
    body.update(changes)
    return body


def test_a_contract_by_form_with_prices_and_its_refusals(books: Books) -> None:
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    zero = district.post("/settlement/contracts/new/", _contract_body(books, price_JW03="0"))
    # The service names the service whose price is wrong; the form shows it above the fields.
    assert zero.status_code == 400 and zero.context["form"].non_field_errors()
    overlap = district.post(
        "/settlement/contracts/new/",
        _contract_body(
            books,
            starts_on=f"{books.month:%Y-%m-%d}",
            ends_on=f"{books.month:%Y-%m}-20",
            areas=[books.world.div["XA1"].pk],
        ),
    )
    assert overlap.status_code == 400 and "starts_on" in overlap.context["form"].errors
    assert district.post("/settlement/contracts/new/", _contract_body(books)).status_code == 302
    contract = Contract.objects.get(number="HT-2027-009")
    assert {(i.item.code, i.unit_price) for i in contract.items.all()} == {
        ("JW03", Decimal("45.00"))
    }
    page = district.get(f"/settlement/contracts/{contract.external_id}/edit/")
    assert page.status_code == 200
    body = _contract_body(books, cap_yuan="120000.00", price_ZY01="30.00")
    body.pop("provider")
    assert (
        district.post(f"/settlement/contracts/{contract.external_id}/edit/", body).status_code
        == 302
    )
    contract.refresh_from_db()
    assert contract.cap_yuan == Decimal("120000.00") and contract.items.count() == 2


def test_a_contract_with_confirmed_statements_keeps_its_prices(books: Books) -> None:
    books.visit(day=3)
    statement = settle(books)
    services.statement_confirm(actor=books.manager, statement=statement)
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    contract = books.contract
    body = _contract_body(
        books,
        number=contract.number,
        starts_on=f"{contract.starts_on:%Y-%m-%d}",
        ends_on=f"{contract.ends_on:%Y-%m-%d}",
        areas=[books.world.div["XA1"].pk],
        price_JW03="1.00",
        cap_yuan="500000.00",
    )
    body.pop("provider")
    url = f"/settlement/contracts/{contract.external_id}/edit/"
    refused = district.post(url, body)
    assert refused.status_code == 400 and "starts_on" in refused.context["form"].errors
    for item in contract.items.all():
        body[f"price_{item.item.code}"] = str(item.unit_price)
    body["cap_yuan"] = "600000.00"
    assert district.post(url, body).status_code == 302
    contract.refresh_from_db()
    assert contract.cap_yuan == Decimal("600000.00")


def test_due_steps_are_reminded_to_the_role_that_takes_them(books: Books) -> None:
    books.visit(day=3)
    statement = settle(books)
    statement.due_on = datetime.date.today() - datetime.timedelta(days=1)
    statement.save()
    provider = login(Client(), books.manager).get("/settlement/")
    assert b'id="steps-due"' in provider.content
    street = login(Client(), books.world.user[Role.STREET_OFFICER]).get("/settlement/")
    assert b'id="steps-due"' not in street.content  # the draft waits for the provider
    services.statement_confirm(actor=books.manager, statement=statement)
    statement.refresh_from_db()
    statement.due_on = datetime.date.today()
    statement.save()
    street = login(Client(), books.world.user[Role.STREET_OFFICER]).get("/settlement/")
    assert b'id="steps-due"' in street.content
    from yiyang.dashboard.selectors import officer_todos

    todos = officer_todos(actor=books.world.user[Role.STREET_OFFICER])
    assert [t.count for t in todos if t.url_name == "settlement:statements"] == [1]


def test_the_api_creates_budget_lines_allocates_and_changes_contracts(books: Books) -> None:
    import json

    finance = login(Client(), books.world.user[Role.FINANCE_OFFICER])
    body = {
        "city": books.world.div["X"].code,
        "source": "provincial",
        "year": 2026,
        "purpose": "home_care",
        "name": "省级补助",
        "amount_yuan": "2000.00",
    }
    made = finance.post("/api/v1/budget-lines/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    line_id = made.json()["id"]
    bad = finance.post(
        f"/api/v1/budget-lines/{line_id}/allocate/",
        {"district": "000000000000", "amount_yuan": "10.00"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "district" in bad.json()
    ok = finance.post(
        f"/api/v1/budget-lines/{line_id}/allocate/",
        {"district": books.world.div["XA"].code, "amount_yuan": "500.00"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert BudgetAllocation.objects.get(line__external_id=line_id).amount_yuan == Decimal("500.00")
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    contract = books.contract
    change = {
        "number": contract.number,
        "buyer": books.world.div["XA"].code,
        "budget_line": str(books.line.external_id),
        "starts_on": str(contract.starts_on),
        "ends_on": str(contract.ends_on),
        "cap_yuan": "400000.00",
        "prices": {"JW03": "40.00"},
        "areas": [books.world.div["XA1"].code],
    }
    answer = district.put(
        f"/api/v1/contracts/{contract.external_id}/",
        json.dumps(change),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    contract.refresh_from_db()
    assert contract.cap_yuan == Decimal("400000.00") and contract.items.count() == 1
    change["cap_yuan"] = "-1"
    refused = district.put(
        f"/api/v1/contracts/{contract.external_id}/",
        json.dumps(change),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "cap_yuan" in refused.json()
