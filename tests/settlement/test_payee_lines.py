"""Caregivers' post subsidies paid through the settlement: payee lines on the employer's
statement under a caregiver-subsidy contract, the workflow to paid, and once a person a
month across employers at the settlement level too."""

from __future__ import annotations

import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import login
from tests.settlement.conftest import Books
from yiyang.core.indicators import Period, catalogue
from yiyang.core.permissions import Role
from yiyang.settlement import services
from yiyang.settlement.models import Contract, Statement, StatementLine
from yiyang.workforce.models import Employment, SubsidyEntitlement
from yiyang.workforce.services import (
    person_adopt_caregivers,
    subsidies_evaluate,
    subsidy_rule_save,
)

pytestmark = pytest.mark.django_db


def subsidy_books(books: Books) -> Contract:
    """The books' caregivers on the roster since last year, a post subsidy of 300 and an
    entry subsidy of 1,000 for everyone, last month evaluated, and the city's
    caregiver-subsidy budget line with a contract for the provider."""
    world, city = books.world, books.world.div["X"]
    person_adopt_caregivers()
    Employment.objects.update(hired_on=books.month - datetime.timedelta(days=365))
    admin = world.user[Role.CITY_ADMIN]
    start = datetime.date(2020, 1, 1)
    subsidy_rule_save(
        actor=admin, city=city, name="岗位补贴", kind="post", amount="300", valid_from=start
    )
    subsidy_rule_save(
        actor=admin, city=city, name="入职补贴", kind="entry", amount="1000", valid_from=start
    )
    subsidies_evaluate(actor=admin, city=city, month=books.month)
    line = services.budget_line_create(
        actor=world.user[Role.FINANCE_OFFICER],
        city=city,
        source="city",
        year=books.month.year,
        purpose="caregivers",
        name="养老护理员岗位补贴",
        amount_yuan="1000000.00",
    )
    return services.contract_create(
        actor=admin,
        number="BT-2026-001",
        buyer=city,
        provider=books.provider,
        budget_line=line,
        starts_on=books.month - datetime.timedelta(days=200),
        ends_on=books.month + datetime.timedelta(days=400),
        cap_yuan="100000.00",
        prices={},
        areas=[city],
    )


def test_subsidies_become_payee_lines_on_the_subsidy_statement_only(books: Books) -> None:
    contract = subsidy_books(books)
    books.visit(day=3)

    result = services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)

    by_contract = {s.contract_id: s for s in result.statements}
    subsidy, care = by_contract[contract.id], by_contract[books.contract.id]
    assert list(care.lines.values_list("source_kind", flat=True)) == ["visit"]
    lines = list(subsidy.lines.order_by("source_kind", "id"))
    assert [(x.source_kind, x.payable_yuan, x.status) for x in lines] == [
        ("caregiver_entry", Decimal("1000.00"), "payable")
    ] * 3 + [("caregiver_post", Decimal("300.00"), "payable")] * 3
    wang = Employment.objects.get(caregiver=books.caregivers["wang"])
    mine = [x for x in lines if x.person_id == wang.person_id]
    assert {(x.elder_id, x.caregiver_id, x.date) for x in mine} == {
        (None, books.caregivers["wang"].id, books.month)
    }
    # counted where the employer is registered: its street verifies the statement
    assert {x.division_code for x in lines} == {books.provider.division.code}
    assert (subsidy.payable_yuan, subsidy.price_yuan, subsidy.division_code) == (
        Decimal("3900.00"),
        Decimal("3900.00"),
        books.world.div["X"].code,
    )


def test_subsidy_statement_is_approved_released_and_paid_with_the_rest(books: Books) -> None:
    contract = subsidy_books(books)
    u = books.world.user
    services.settle_month(actor=u[Role.FINANCE_OFFICER], month=books.month)
    statement = Statement.objects.get(contract=contract)

    services.statement_confirm(actor=books.manager, statement=statement)
    services.statement_verify(actor=u[Role.STREET_OFFICER], statement=statement)
    services.statement_approve(actor=u[Role.CITY_ADMIN], statement=statement)
    release = services.release_create(actor=u[Role.FINANCE_OFFICER], statements=[statement])
    services.release_mark_paid(actor=u[Role.FINANCE_OFFICER], release=release, reference="GK-9")

    statement.refresh_from_db()
    assert (statement.status, release.total_yuan) == ("paid", Decimal("3900.00"))
    assert not SubsidyEntitlement.objects.filter(paid_at__isnull=True).exists()
    # the catalogue counts them where the employer is registered (district XA), "—" never
    period, d = Period.of(books.month), books.world.div
    at = [d["X"], d["XA"], d["XB"]]
    paid = catalogue()["caregiver_subsidies_paid"].compute(period, at)
    people = catalogue()["caregiver_subsidies_paid_people"].compute(period, at)
    assert [paid[x.pk].value for x in at] == [Decimal("3900.00"), Decimal("3900.00"), 0]
    assert [people[x.pk].value for x in at] == [3, 3, 0]
    # paid entitlements are not billed again, whatever month is settled later
    assert services.settle_month(actor=u[Role.FINANCE_OFFICER], month=books.month).skipped


def test_a_service_contract_never_bills_subsidies(books: Books) -> None:
    subsidy_books(books)
    Contract.objects.filter(number="BT-2026-001").delete()

    result = services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)

    assert not StatementLine.objects.filter(source_kind__startswith="caregiver").exists()
    assert result.uncovered == 6  # said, not billed elsewhere


def test_one_person_is_paid_once_a_month_at_the_settlement_level(books: Books) -> None:
    subsidy_books(books)
    services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)
    line = StatementLine.objects.filter(source_kind="caregiver_post").first()
    assert line is not None

    # the same person's post subsidy of the same month again, as if through a second
    # employer's entitlement: refused by the database
    line.pk, line.external_id, line.source_id = None, uuid.uuid4(), line.source_id + 10_000
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()
    # another month, or the other kind, is another payment
    line.date = line.date + datetime.timedelta(days=31)
    with transaction.atomic():
        line.save()


def test_a_subsidy_contract_takes_no_services(books: Books) -> None:
    contract = subsidy_books(books)

    with pytest.raises(ValidationError) as priced:
        services.contract_create(
            actor=books.world.user[Role.CITY_ADMIN],
            number="BT-2",
            buyer=books.world.div["X"],
            provider=books.world.org["institution_XA1a"],
            budget_line=contract.budget_line,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            cap_yuan="1000.00",
            prices={books.items["JW03"]: "30.00"},
            areas=[books.world.div["X"]],
        )
    with pytest.raises(ValidationError) as twice:
        services.contract_create(
            actor=books.world.user[Role.CITY_ADMIN],
            number="BT-3",
            buyer=books.world.div["X"],
            provider=books.provider,
            budget_line=contract.budget_line,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            cap_yuan="1000.00",
            prices={},
            areas=[books.world.div["XA"]],
        )

    assert "items" in priced.value.message_dict
    assert "BT-2026-001" in twice.value.message_dict["starts_on"][0]


def test_the_statement_page_and_files_show_payee_lines(books: Books, client: Client) -> None:
    contract = subsidy_books(books)
    services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)
    statement = Statement.objects.get(contract=contract)
    login(client, books.world.user[Role.CITY_ADMIN])

    page = client.get(reverse("settlement:statement", args=[statement.external_id]))
    sheet = client.get(reverse("settlement:statement-xlsx", args=[statement.external_id]))
    pdf = client.get(reverse("settlement:statement-pdf", args=[statement.external_id]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "护理员岗位补贴" in text and "王护理" in text
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert sum(1 for row in rows if row[1] == "护理员入职补贴") == 3
    assert pdf.status_code == 200
