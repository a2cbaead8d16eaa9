"""Per-elder monthly packages: one line per elder and month, pro-rated below the minimum
of verified visits, held like any unit (registry status for the month, allowance, no
verified visit), and refused on contracts that cannot have one."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.settlement.conftest import Books, meal_contract
from yiyang.assessments.models import EligibilityRule
from yiyang.core.permissions import Role
from yiyang.elders.models import Elder
from yiyang.settlement import services
from yiyang.settlement.models import Contract, PackageMonth, StatementLine
from yiyang.settlement.services.packages import package_amount


def package_contract(books: Books, **changes: object) -> Contract:
    values: dict[str, object] = {
        "number": "BY-001",
        "buyer": books.world.div["XA"],
        "provider": books.provider,
        "budget_line": books.line,
        "starts_on": books.month - datetime.timedelta(days=30),
        "ends_on": books.month + datetime.timedelta(days=90),
        "cap_yuan": "90000.00",
        "prices": {books.items["ZJ02"]: None, books.items["ZJ03"]: None},
        "areas": [books.world.div["XA1"]],
        "package_yuan": "600.00",
        "package_min_visits": 4,
    }
    values.update(changes)
    return services.contract_create(actor=books.world.user[Role.DISTRICT_OFFICER], **values)


def settle(books: Books):
    return services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)


def package_lines(contract: Contract) -> dict[str, StatementLine]:
    lines = StatementLine.objects.filter(statement__contract=contract)
    return {line.elder.name: line for line in lines.select_related("elder")}


@pytest.fixture
def generous(books: Books) -> Books:
    EligibilityRule.objects.update(amount_yuan=Decimal("2000.00"))
    return books


def test_amount_is_full_pro_rated_or_held_in_fen() -> None:
    assert package_amount(Decimal("600.00"), 4, 4) == Decimal("600.00")
    assert package_amount(Decimal("600.00"), 4, 9) == Decimal("600.00")
    assert package_amount(Decimal("600.00"), 0, 1) == Decimal("600.00")
    assert package_amount(Decimal("600.00"), 3, 1) == Decimal("200.00")
    assert package_amount(Decimal("100.00"), 3, 2) == Decimal("66.67")
    assert package_amount(Decimal("600.00"), 4, 0) == Decimal("600.00")  # held instead


def test_one_package_line_per_elder_and_month_not_per_visit(generous: Books) -> None:
    books = generous
    contract = package_contract(books)
    for day in (2, 5, 9, 12):
        books.visit(day=day, code="ZJ02")
    books.visit(elder="zhang", day=3, code="ZJ02", caregiver="li")
    books.visit(elder="zhang", day=8, code="ZJ03", caregiver="li")
    books.visit(elder="zhang", day=10, code="ZJ02", caregiver="li", review_status="pending")
    per_visit = books.visit(day=20, code="JW03")  # the per-item contract's service
    result = settle(books)
    lines = package_lines(contract)
    assert set(lines) == {"刘桂兰", "张秀英"}
    assert all(line.source_kind == "package" for line in lines.values())
    assert lines["刘桂兰"].price_yuan == Decimal("600.00")
    assert lines["刘桂兰"].payable_yuan == Decimal("600.00")
    assert lines["刘桂兰"].self_pay_yuan == Decimal("0.00")
    # Two verified of four (the flagged visit does not count): half the package.
    assert lines["张秀英"].price_yuan == Decimal("300.00")
    assert lines["张秀英"].status == "payable"
    assert "2" in lines["张秀英"].description
    months = PackageMonth.objects.get(contract=contract, elder=books.elders["zhang"])
    assert (months.visits, months.verified_visits) == (3, 2)
    # The package's visits are no lines of their own; the per-item service's visit is.
    assert StatementLine.objects.filter(source_kind="visit").count() == 1
    assert StatementLine.objects.get(source_kind="visit").source_id == per_visit.id
    statement = next(s for s in result.statements if s.contract_id == contract.id)
    assert statement.payable_yuan == Decimal("900.00")
    assert statement.lines_count == 2
    # A re-run of the draft bills the same units again, nothing twice.
    settle(books)
    assert PackageMonth.objects.filter(contract=contract).count() == 2
    assert StatementLine.objects.filter(statement__contract=contract).count() == 2


def test_package_holds_no_visit_month_share_and_allowance(books: Books) -> None:
    contract = package_contract(books, package_min_visits=0)
    books.visit(elder="zhang", day=3, code="ZJ02", caregiver="li", review_status="rejected")
    books.visit(day=2, code="ZJ02")
    Elder.objects.filter(pk=books.elders["liu"].pk).update(
        status="in_hospital", status_changed_on=books.month.replace(day=20)
    )
    settle(books)
    lines = package_lines(contract)
    zhang = set(lines["张秀英"].holds.values_list("reason", flat=True))
    liu = set(lines["刘桂兰"].holds.values_list("reason", flat=True))
    assert "no_verified_visit" in zhang
    # In hospital from the 20th (a visit on the 2nd): the month is held; and 600 yuan is
    # past the fixture's 300-yuan monthly allowance.
    assert {"elder_unavailable", "allowance_exceeded"} <= liu
    assert lines["刘桂兰"].payable_yuan == Decimal("0.00")
    # The hold tells the reviewer the month's share: the days present of the month's days.
    detail = lines["刘桂兰"].holds.get(reason="elder_unavailable").detail
    days = (books.month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - books.month
    away = days.days - 19
    share = (Decimal("600.00") * (days.days - away) / days.days).quantize(Decimal("0.01"))
    assert (detail["away_days"], detail["days"], detail["share"]) == (away, days.days, str(share))
    from yiyang.settlement.display import hold_text

    assert str(share) in hold_text("elder_unavailable", detail)


def test_no_visit_at_all_but_a_missed_one_is_held(generous: Books) -> None:
    contract = package_contract(generous)
    generous.visit(day=4, code="ZJ02", status="missed", outcome="")
    settle(generous)
    line = package_lines(contract)["刘桂兰"]
    assert set(line.holds.values_list("reason", flat=True)) == {"no_verified_visit"}
    assert line.status == "held"


def test_package_only_on_home_care_contracts_and_minimum_only_with_package(books: Books) -> None:
    with pytest.raises(ValidationError) as caught:
        meal_contract(books, package_yuan="600.00")
    assert "package_yuan" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        package_contract(
            books, package_yuan=None, package_min_visits=3, prices={books.items["ZJ02"]: "40.00"}
        )
    assert "package_min_visits" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        package_contract(books, package_yuan="-5")
    assert "package_yuan" in caught.value.message_dict
    # Without a package, a service needs its unit price.
    with pytest.raises(ValidationError) as caught:
        package_contract(books, package_yuan=None, package_min_visits=0)
    assert "items" in caught.value.message_dict


def test_statement_files_and_family_bill_show_the_package(generous: Books) -> None:
    import io

    from openpyxl import load_workbook

    from yiyang.settlement import documents
    from yiyang.settlement.bills import elder_bill
    from yiyang.settlement.pdf import bill_pdf, statement_pdf

    books = generous
    contract = package_contract(books)
    for day in (2, 5, 9, 12):
        books.visit(day=day, code="ZJ02")
    per_visit = books.visit(day=20, code="JW03")
    result = settle(books)
    statement = next(s for s in result.statements if s.contract_id == contract.id)
    lines = list(statement.lines.all())
    sheet = load_workbook(io.BytesIO(documents.statement_xlsx(statement, lines))).active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "刘桂兰" in values and 600 in values
    assert any("¥600.00" in str(v) for v in values)  # the package's terms in the header
    assert statement_pdf(statement, lines).startswith(b"%PDF")
    bill = elder_bill(books.elders["liu"], books.month)
    in_package = [r for r in bill.rows if r["in_package"]]
    assert len(in_package) == 4
    package = [r for r in bill.rows if not r["in_package"] and r["price"] == Decimal("600.00")]
    assert len(package) == 1 and package[0]["self_pay"] == Decimal("0.00")
    assert bill.price == Decimal("600.00") + per_visit.price
    assert bill.self_pay == per_visit.self_pay_yuan
    assert bill.subsidy + bill.pending == Decimal("600.00") + per_visit.allowance_yuan
    assert bill_pdf(bill).startswith(b"%PDF")


def test_a_package_contract_through_the_api(books: Books) -> None:
    from django.test import Client

    from tests.conftest import login

    client = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    body = {
        "number": "BY-API",
        "buyer": books.world.div["XA"].code,
        "provider": str(books.provider.external_id),
        "budget_line": str(books.line.external_id),
        "starts_on": "2031-01-01",
        "ends_on": "2031-12-31",
        "cap_yuan": "1000.00",
        "prices": {"ZJ02": None},
        "areas": [books.world.div["XA2"].code],
        "package_yuan": "450.50",
        "package_min_visits": 3,
    }
    answer = client.post("/api/v1/contracts/", body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert data["package_yuan"] == "450.50" and data["package_min_visits"] == 3
    assert data["items"] == [{"item": "ZJ02", "unit_price": None}]
    body.update(number="BY-API-2", package_yuan=None, starts_on="2032-01-01", ends_on="2032-02-01")
    refused = client.post("/api/v1/contracts/", body, content_type="application/json")
    assert refused.status_code == 400 and "items" in refused.json()
