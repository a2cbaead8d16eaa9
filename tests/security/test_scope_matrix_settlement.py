"""The scope matrix of settlement: contracts, statements, lines and payment files, for
every role, over the API and the pages. Outside the scope: absent from lists, 404 on
reads; a role without the permission: 403."""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from tests.conftest import World, login
from tests.security.matrix import ROLES, denied, holds
from tests.settlement.conftest import Books, make_books
from yiyang.core.permissions import Permission, Role
from yiyang.settlement import services
from yiyang.settlement.models import BudgetLine, Contract, Statement, StatementLine

SEES_X = {
    Role.CITY_ADMIN,
    Role.DISTRICT_OFFICER,
    Role.STREET_OFFICER,
    Role.AUDITOR,
    Role.FINANCE_OFFICER,
}


@pytest.fixture
def books(world: World) -> Books:
    return make_books(world)


def outside(books: Books) -> Statement:
    """A statement of city Y, outside every test user's scope."""
    w = books.world
    line = BudgetLine.objects.create(
        city=w.div["Y"],
        division_code=w.div["Y"].code,
        source="city",
        year=2026,
        purpose="home_care",
        name="Y",
        amount_yuan=Decimal("100.00"),
    )
    contract = Contract.objects.create(
        number="Y-1",
        buyer=w.div["YA"],
        division_code=w.div["YA"].code,
        provider=w.org["home_YA"],
        budget_line=line,
        starts_on=books.month,
        ends_on=books.month,
        cap_yuan=Decimal("10.00"),
    )
    statement = Statement.objects.create(
        contract=contract,
        provider=w.org["home_YA"],
        division_code=contract.division_code,
        month=books.month,
    )
    elder = books.elders["liu"]
    StatementLine.objects.create(
        statement=statement,
        external_id=uuid.uuid4(),
        source_kind="visit",
        source_id=999999,
        elder=elder,
        division_code=w.div["YA1a"].code,
        date=books.month,
        description="x",
        price_yuan=1,
        allowance_yuan=1,
        ltc_yuan=0,
        self_pay_yuan=0,
        payable_yuan=1,
        status="payable",
    )
    return statement


@pytest.fixture
def both(books: Books) -> tuple[Statement, Statement]:
    books.visit(day=3)
    inside = services.settle_month(
        actor=books.world.user[Role.FINANCE_OFFICER], month=books.month
    ).statements[0]
    return inside, outside(books)


@pytest.mark.parametrize("role", ROLES)
def test_statements_contracts_and_lines_by_role(books: Books, both, role: str) -> None:
    inside, out = both
    client = login(Client(), books.world.user[role])
    listed = client.get("/api/v1/statements/")
    if not holds(role, Permission.VIEW_SETTLEMENT):
        assert listed.status_code == 403
        assert client.get(f"/api/v1/statements/{inside.external_id}/").status_code == 403
        assert client.get("/settlement/").status_code == 403
        return
    ids = {row["id"] for row in listed.json()["results"]}
    assert ids == ({str(inside.external_id)} if role in SEES_X else set())
    assert client.get(f"/api/v1/statements/{out.external_id}/").status_code == 404
    assert client.get(f"/api/v1/statements/{out.external_id}/lines/").status_code == 404
    assert client.get(f"/settlement/statements/{out.external_id}/").status_code == 404
    for document in ("xlsx", "pdf"):
        assert client.get(f"/api/v1/statements/{out.external_id}/{document}/").status_code == 404
        assert (
            client.get(f"/settlement/statements/{out.external_id}/{document}/").status_code == 404
        )
        if role in SEES_X:
            path = f"/settlement/statements/{inside.external_id}/{document}/"
            assert client.get(path).status_code == 200, path
    contracts = {row["number"] for row in client.get("/api/v1/contracts/").json()["results"]}
    assert contracts == ({"HT-2026-001"} if role in SEES_X else set())
    line = out.lines.get()
    assert client.get(f"/api/v1/statement-lines/{line.external_id}/").status_code == 404
    assert client.get("/settlement/").status_code == 200


def test_the_provider_sees_its_own_and_street_xa2_sees_nothing(books: Books, both) -> None:
    inside, _out = both
    own = login(Client(), books.manager).get("/api/v1/statements/").json()["results"]
    assert [row["id"] for row in own] == [str(inside.external_id)]
    lines = login(Client(), books.manager).get(f"/api/v1/statements/{inside.external_id}/lines/")
    assert lines.status_code == 200 and len(lines.json()["results"]) == 1
    other = login(Client(), books.users["street_xa2"])
    assert other.get("/api/v1/statements/").json()["results"] == []
    assert other.get(f"/api/v1/statements/{inside.external_id}/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_payment_files_by_role(books: Books, both, role: str) -> None:
    inside, _out = both
    who = books.world.user
    services.statement_confirm(actor=books.manager, statement=inside)
    services.statement_verify(actor=who[Role.STREET_OFFICER], statement=inside)
    services.statement_approve(actor=who[Role.DISTRICT_OFFICER], statement=inside)
    release = services.release_create(actor=who[Role.FINANCE_OFFICER], statements=[inside])
    client = login(Client(), who[role])
    answer = client.get(f"/api/v1/payment-releases/{release.external_id}/payment-file/")
    page = client.get(f"/settlement/releases/{release.external_id}/payment-file/?format=csv")
    expected = (
        200 if holds(role, Permission.VIEW_RELEASES) else denied(role, Permission.VIEW_RELEASES)
    )
    assert (answer.status_code, page.status_code) == (expected, expected)


def test_an_approved_statement_cannot_be_edited_through_the_api(books: Books, both) -> None:
    inside, _out = both
    who = books.world.user
    services.statement_confirm(actor=books.manager, statement=inside)
    services.statement_verify(actor=who[Role.STREET_OFFICER], statement=inside)
    services.statement_approve(actor=who[Role.DISTRICT_OFFICER], statement=inside)
    client = login(Client(), who[Role.DISTRICT_OFFICER])
    answer = client.patch(
        f"/api/v1/statements/{inside.external_id}/",
        json.dumps({"payable_yuan": "1.00"}),
        content_type="application/json",
    )
    assert answer.status_code == 405 and "不可修改" in answer.json()["detail"]
    line = inside.lines.get()
    refused = login(Client(), books.manager).post(
        f"/api/v1/statement-lines/{line.external_id}/dispute/", {"reason": "x"}
    )
    assert refused.status_code == 400
    inside.refresh_from_db()
    assert inside.payable_yuan == Decimal("30.00")


def test_the_api_walks_the_workflow_and_names_bad_input(books: Books, both) -> None:
    inside, _out = both
    who = books.world.user
    provider = login(Client(), books.manager)
    assert provider.post(f"/api/v1/statements/{inside.external_id}/confirm/").status_code == 200
    street = login(Client(), who[Role.STREET_OFFICER])
    assert (
        street.post(f"/api/v1/statements/{inside.external_id}/verify/").json()["status"]
        == "verified"
    )
    district = login(Client(), who[Role.DISTRICT_OFFICER])
    assert (
        district.post(f"/api/v1/statements/{inside.external_id}/approve/").json()["status"]
        == "approved"
    )
    finance = login(Client(), who[Role.FINANCE_OFFICER])
    made = finance.post(
        "/api/v1/payment-releases/",
        json.dumps({"statements": [str(inside.external_id)]}),
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["total_yuan"] == "30.00"
    bad = finance.post(f"/api/v1/payment-releases/{made.json()['id']}/paid/", {"reference": ""})
    assert bad.status_code == 400
    paid = finance.post(
        f"/api/v1/payment-releases/{made.json()['id']}/paid/", {"reference": "GK-1"}
    )
    assert paid.json()["payment_reference"] == "GK-1"
    assert finance.get("/api/v1/budget-lines/").json()["results"][0]["spent_yuan"] == "30.00"


def test_contracts_refuse_overlaps_and_bad_prices(books: Books) -> None:
    district = login(Client(), books.world.user[Role.DISTRICT_OFFICER])
    body = {
        "number": "HT-2",
        "buyer": books.world.div["XA"].code,
        "provider": str(books.provider.external_id),
        "budget_line": str(books.line.external_id),
        "starts_on": str(books.month),
        "ends_on": str(books.month + datetime.timedelta(days=30)),
        "cap_yuan": "100.00",
        "prices": {"JW03": "30.00"},
        "areas": [books.world.div["XA1"].code],
    }
    answer = district.post("/api/v1/contracts/", json.dumps(body), content_type="application/json")
    assert answer.status_code == 400 and "HT-2026-001" in answer.json()["starts_on"][0]
    body["prices"] = {"JW03": "0.00"}
    body["areas"] = [books.world.div["XA2"].code]
    answer = district.post("/api/v1/contracts/", json.dumps(body), content_type="application/json")
    assert answer.status_code == 400 and "items" in answer.json()
    body["prices"] = {"JW03": "30.00"}
    answer = district.post("/api/v1/contracts/", json.dumps(body), content_type="application/json")
    assert answer.status_code == 201, answer.content


def test_lists_take_the_same_queries_however_many_rows(
    books: Books, both, django_assert_max_num_queries
) -> None:
    inside, _out = both
    city = login(Client(), books.world.user[Role.CITY_ADMIN])
    pages = (
        "/api/v1/statements/",
        "/api/v1/contracts/",
        "/settlement/",
        "/settlement/review/",
        "/settlement/contracts/",
    )

    def counts() -> list[int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        found = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert city.get(url).status_code == 200
            found.append(len(queries))
        return found

    services.statement_confirm(actor=books.manager, statement=inside)
    before = counts()
    for n in range(3):
        contract = Contract.objects.create(
            number=f"HT-X{n}",
            buyer=books.world.div["XA"],
            division_code=books.world.div["XA"].code,
            provider=books.provider,
            budget_line=books.line,
            starts_on=books.month,
            ends_on=books.month,
            cap_yuan=Decimal("10.00"),
        )
        Statement.objects.create(
            contract=contract,
            provider=books.provider,
            division_code=contract.division_code,
            month=books.month,
            status="confirmed",
        )
    assert counts() == before


def test_the_family_sees_the_monthly_bill_of_its_linked_elder(books: Books) -> None:
    from yiyang.elders.services import consent_record, family_member_link

    worker = books.world.user[Role.STREET_OFFICER]
    family = books.world.user[Role.FAMILY]
    family_member_link(actor=worker, elder=books.elders["liu"], user=family, relation="child")
    consent_record(
        actor=worker,
        elder=books.elders["liu"],
        purpose="family_view",
        given_by="elder",
        given_on=books.month,
    )
    books.visit(day=3)
    books.visit(day=4, review_status="pending")
    books.visit(elder="zhang", day=5)
    services.settle_month(actor=books.world.user[Role.FINANCE_OFFICER], month=books.month)
    page = login(Client(), family).get(f"/settlement/bill/?month={books.month:%Y-%m}")
    assert page.status_code == 200
    (bill,) = page.context["bills"]
    assert bill.elder == books.elders["liu"] and len(bill.rows) == 2
    assert (bill.subsidy, bill.pending) == (Decimal("30.00"), Decimal("30.00"))
    assert (
        login(Client(), books.world.user[Role.STREET_OFFICER]).get("/settlement/bill/").status_code
        == 403
    )
    printed = login(Client(), family).get(
        f"/settlement/bill/?month={books.month:%Y-%m}&elder={books.elders['liu'].external_id}&format=pdf"
    )
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    other = login(Client(), family).get(
        f"/settlement/bill/?month={books.month:%Y-%m}&elder={books.elders['zhang'].external_id}&format=pdf"
    )
    assert other.status_code == 404  # not linked: no bill to print


PDF = b"%PDF-1.4\n%signed contract\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize("role", ROLES)
def test_contract_documents_and_package_lines_by_role(books: Books, both, role: str) -> None:
    """Contract documents: listed and downloaded within the contract's scope, uploaded and
    deleted by those who manage contracts; package lines scoped like any line."""
    from yiyang.core.models import AuditEvent
    from yiyang.settlement.models import ContractDocument
    from yiyang.settlement.services.attachments import contract_document_add

    _inside, out = both
    who = books.world.user
    mine = contract_document_add(
        actor=who[Role.DISTRICT_OFFICER], contract=books.contract, name="合同.pdf", data=PDF
    )
    theirs = ContractDocument.objects.create(
        contract=out.contract,
        name="y.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0",
        data=b"",
    )
    package = StatementLine.objects.filter(statement=out).update(source_kind="package")
    assert package == 1
    client = login(Client(), who[role])
    listed = client.get("/api/v1/contract-documents/")
    if not holds(role, Permission.VIEW_SETTLEMENT):
        assert listed.status_code == 403
        assert (
            client.get(f"/api/v1/contract-documents/{mine.external_id}/download/").status_code
            == 403
        )
        return
    ids = {row["id"] for row in listed.json()["results"]}
    assert ids == ({str(mine.external_id)} if role in SEES_X else set())
    for path in (
        f"/api/v1/contract-documents/{theirs.external_id}/download/",
        f"/settlement/contract-documents/{theirs.external_id}/",
        f"/settlement/contracts/{out.contract.external_id}/documents/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.delete(f"/api/v1/contract-documents/{theirs.external_id}/").status_code == 404
    line = out.lines.get()
    assert client.get(f"/api/v1/statement-lines/{line.external_id}/").status_code == 404
    if role in SEES_X:
        before = AuditEvent.objects.filter(action="export", object_id=str(mine.external_id))
        count = before.count()
        answer = client.get(f"/settlement/contract-documents/{mine.external_id}/")
        assert answer.status_code == 200 and answer.content == PDF
        assert answer["Content-Disposition"].startswith("attachment")
        assert before.count() == count + 1
    upload = client.post(
        "/api/v1/contract-documents/",
        {"contract": str(books.contract.external_id), "file": _file("b.pdf", PDF)},
    )
    removed = client.delete(f"/api/v1/contract-documents/{mine.external_id}/")
    if holds(role, Permission.MANAGE_CONTRACTS) and role in SEES_X:
        assert upload.status_code == 201, upload.content
        assert removed.status_code == 204
    else:
        assert upload.status_code in (403, 404)
        assert removed.status_code in (403, 404)
        assert ContractDocument.objects.filter(pk=mine.pk).exists()


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_the_provider_sees_its_own_contracts_documents_only(books: Books, both) -> None:
    from yiyang.settlement.services.attachments import contract_document_add

    _inside, _out = both
    mine = contract_document_add(
        actor=books.world.user[Role.DISTRICT_OFFICER],
        contract=books.contract,
        name="a.png",
        data=b"\x89PNG\r\n\x1a\n" + b"0" * 20,
    )
    provider = login(Client(), books.manager)
    rows = provider.get("/api/v1/contract-documents/").json()["results"]
    assert [r["id"] for r in rows] == [str(mine.external_id)]
    answer = provider.get(f"/api/v1/contract-documents/{mine.external_id}/download/")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    page = provider.get(f"/settlement/contracts/{books.contract.external_id}/documents/")
    assert page.status_code == 200 and "a.png" in page.content.decode()
    assert 'name="document"' not in page.content.decode()  # no upload for the provider
    other = login(Client(), books.users["street_xa2"])
    assert other.get(f"/api/v1/contract-documents/{mine.external_id}/download/").status_code == 404
