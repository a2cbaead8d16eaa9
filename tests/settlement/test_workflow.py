"""The workflow with each role and each refusal, immutability, adjustments, the budget
guard, and the documents that reconcile."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from tests.settlement.conftest import Books
from yiyang.core.permissions import Role
from yiyang.settlement import documents, services
from yiyang.settlement.models import Statement
from yiyang.settlement.services.settle import month_bounds


def settled(books: Books, *, held: bool = True) -> Statement:
    books.visit(day=3)
    books.visit(elder="zhang", day=4, caregiver="li")
    if held:
        books.visit(day=5, review_status="pending")
    return services.settle_month(
        actor=books.world.user[Role.FINANCE_OFFICER], month=books.month
    ).statements[0]


def users(books: Books) -> dict[str, object]:
    u = books.world.user
    return {
        "provider": books.manager,
        "street": u[Role.STREET_OFFICER],
        "district": u[Role.DISTRICT_OFFICER],
        "finance": u[Role.FINANCE_OFFICER],
        "city": u[Role.CITY_ADMIN],
    }


def to_approved(books: Books) -> Statement:
    who = users(books)
    statement = settled(books)
    held = statement.lines.get(status="held")
    services.line_dispute(actor=who["provider"], line=held, reason="照片可证明服务已完成")
    services.statement_confirm(actor=who["provider"], statement=statement)
    services.line_decide(
        actor=who["street"],
        line=held,
        decision="reduce",
        amount_yuan="12.50",
        reason="服务时长不足",
    )
    services.statement_verify(actor=who["street"], statement=statement)
    return services.statement_approve(actor=who["district"], statement=statement)


def test_a_month_from_draft_to_paid_across_the_roles(books: Books) -> None:
    who = users(books)
    statement = to_approved(books)
    assert statement.status == "approved"
    assert statement.allowance_yuan == Decimal("90.00")
    assert statement.payable_yuan == Decimal("72.50")
    assert statement.withheld_yuan == Decimal("17.50") and statement.held_yuan == Decimal("0.00")
    release = services.release_create(actor=who["finance"], statements=[statement])
    assert release.total_yuan == Decimal("72.50")
    services.release_mark_paid(actor=who["finance"], release=release, reference="GK-2026-0001")
    statement.refresh_from_db()
    assert (statement.status, statement.payment_reference) == ("paid", "GK-2026-0001")


@pytest.mark.parametrize("role", ["street", "district", "finance", "city"])
def test_only_the_provider_confirms(books: Books, role: str) -> None:
    statement = settled(books)
    with pytest.raises(PermissionDenied):
        services.statement_confirm(actor=users(books)[role], statement=statement)


def test_each_step_refuses_out_of_order_and_the_wrong_role(books: Books) -> None:
    who = users(books)
    statement = settled(books)
    with pytest.raises(ValidationError, match="has not confirmed"):
        services.statement_verify(actor=who["street"], statement=statement)
    services.statement_confirm(actor=who["provider"], statement=statement)
    with pytest.raises(ValidationError, match="no longer a draft"):
        services.statement_confirm(actor=who["provider"], statement=statement)
    with pytest.raises(ValidationError, match="Decide every held line"):
        services.statement_verify(actor=who["street"], statement=statement)
    with pytest.raises(ValidationError, match="no lines of your street"):
        services.statement_verify(actor=books.users["street_xa2"], statement=statement)
    with pytest.raises(ValidationError, match="Every street must verify"):
        services.statement_approve(actor=who["district"], statement=statement)
    with pytest.raises(PermissionDenied):
        services.statement_approve(actor=who["street"], statement=statement)
    held = statement.lines.get(status="held")
    with pytest.raises(ValidationError, match="reason"):
        services.line_decide(actor=who["street"], line=held, decision="reject", reason=" ")
    with pytest.raises(ValidationError, match="less than"):
        services.line_decide(
            actor=who["street"], line=held, decision="reduce", amount_yuan="30.00", reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.statement_verify(actor=who["finance"], statement=statement)


def test_an_approved_statement_is_immutable_and_corrected_next_month(books: Books) -> None:
    who = users(books)
    statement = to_approved(books)
    line = statement.lines.filter(status="payable").first()
    with pytest.raises(ValidationError):
        services.line_dispute(actor=who["provider"], line=line, reason="x")
    with pytest.raises(ValidationError, match="between 0"):
        services.adjustment_add(actor=who["district"], line=line, amount_yuan="-40.00", reason="x")
    adjustment = services.adjustment_add(
        actor=who["district"], line=line, amount_yuan="-10.00", reason="回访发现服务未完成"
    )
    import datetime

    from yiyang.settlement.models import Adjustment

    # The next month: settled when it has ended (moved back in time for the test).
    later = books.month
    earlier = (later - datetime.timedelta(days=1)).replace(day=1)
    Statement.objects.filter(pk=statement.pk).update(month=earlier)
    result = services.settle_month(actor=who["finance"], month=later)
    adjustment_line = Adjustment.objects.get(pk=adjustment.pk).settled_line
    assert adjustment_line.adjusts_id == line.id and adjustment_line.payable_yuan == Decimal(
        "-10.00"
    )
    assert result.statements[0].payable_yuan == Decimal("-10.00")
    statement.refresh_from_db()
    assert statement.payable_yuan == Decimal("72.50")


def test_the_budget_guard_needs_the_citys_override(books: Books) -> None:
    who = users(books)
    books.line.amount_yuan = Decimal("50.00")
    books.line.save()
    statement = settled(books, held=False)
    services.statement_confirm(actor=who["provider"], statement=statement)
    services.statement_verify(actor=who["street"], statement=statement)
    with pytest.raises(ValidationError, match="Over budget"):
        services.statement_approve(actor=who["district"], statement=statement)
    with pytest.raises(PermissionDenied):
        services.budget_override_record(
            actor=who["district"], statement=statement, reason="追加预算已批"
        )
    with pytest.raises(ValidationError):
        services.budget_override_record(actor=who["city"], statement=statement, reason="")
    services.budget_override_record(actor=who["city"], statement=statement, reason="追加预算已批")
    approved = services.statement_approve(actor=who["district"], statement=statement)
    assert approved.status == "approved"
    release = services.release_create(actor=who["finance"], statements=[approved])
    assert release.total_yuan == Decimal("60.00")


def test_the_release_refuses_past_the_budget_without_an_override(books: Books) -> None:
    who = users(books)
    statement = settled(books, held=False)
    services.statement_confirm(actor=who["provider"], statement=statement)
    services.statement_verify(actor=who["street"], statement=statement)
    services.statement_approve(actor=who["district"], statement=statement)
    books.line.amount_yuan = Decimal("10.00")
    books.line.save()
    with pytest.raises(ValidationError, match="override"):
        services.release_create(actor=who["finance"], statements=[statement])
    statement.refresh_from_db()
    assert statement.status == "approved" and statement.release_id is None


def test_statement_and_payment_file_reconcile(books: Books) -> None:
    who = users(books)
    statement = to_approved(books)
    lines = list(statement.lines.all())
    sheet = load_workbook(io.BytesIO(documents.statement_xlsx(statement, lines))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r and r[0] == "Line"))
    body = [r for r in rows[header + 1 :] if isinstance(r[0], int)]
    total = next(r for r in rows if r and r[0] == "Total")
    assert (
        sum(Decimal(str(r[10])) for r in body) == Decimal(str(total[10])) == statement.payable_yuan
    )
    release = services.release_create(actor=who["finance"], statements=[statement])
    text = documents.payment_csv(release, [statement])
    parsed = list(csv.reader(io.StringIO(text)))
    assert Decimal(parsed[-1][6]) == sum(Decimal(r[6]) for r in parsed[1:-1]) == release.total_yuan
    assert month_bounds(books.month)[0] == statement.month
