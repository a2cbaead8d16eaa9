"""Property: for random months of visits and random decisions, the totals reconcile
exactly at every level: lines -> statement -> payment file."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.settlement.conftest import Books
from yiyang.core.permissions import Role
from yiyang.settlement import documents, services
from yiyang.settlement.models import StatementLine

visit = st.tuples(
    st.sampled_from(["liu", "zhang"]),
    st.integers(1, 28),
    st.integers(7, 18),
    st.sampled_from(["wang", "li", "zhao"]),
    st.integers(0, 9000),
    st.sampled_from(["none", "none", "pending", "rejected"]),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    visits=st.lists(visit, min_size=1, max_size=12), cuts=st.lists(st.integers(0, 100), max_size=12)
)
def test_totals_reconcile_for_random_months(books: Books, visits, cuts) -> None:
    sid = transaction.savepoint()
    try:
        for elder, day, hour, caregiver, fen, review in visits:
            allowance = (
                Decimal(fen) / 100
                if fen < books.items["JW03"].standard_price * 100
                else Decimal("1.00")
            )
            books.visit(
                elder=elder,
                day=day,
                hour=hour,
                caregiver=caregiver,
                allowance=f"{allowance:.2f}",
                review_status=review,
            )
        result = services.settle_month(
            actor=books.world.user[Role.FINANCE_OFFICER], month=books.month
        )
        statement = result.statements[0]
        services.statement_confirm(actor=books.manager, statement=statement)
        street = books.world.user[Role.STREET_OFFICER]
        for line, cut in zip(
            statement.lines.filter(
                status="held", division_code__startswith=street.division.code_prefix
            ),
            cuts + [100] * 20,
            strict=False,
        ):
            if cut >= 100 or line.allowance_yuan == 0:
                services.line_decide(actor=street, line=line, decision="pay", reason="ok")
            elif cut == 0:
                services.line_decide(actor=street, line=line, decision="reject", reason="no")
            else:
                amount = (line.allowance_yuan * cut / 100).quantize(Decimal("0.01"))
                if 0 < amount < line.allowance_yuan:
                    services.line_decide(
                        actor=street,
                        line=line,
                        decision="reduce",
                        amount_yuan=str(amount),
                        reason="part",
                    )
                else:
                    services.line_decide(actor=street, line=line, decision="reject", reason="no")
        statement.refresh_from_db()
        lines = list(StatementLine.objects.filter(statement=statement))
        assert statement.lines_count == len(lines)
        assert statement.payable_yuan == sum((line.payable_yuan for line in lines), Decimal("0.00"))
        assert (
            statement.allowance_yuan
            == statement.payable_yuan + statement.held_yuan + statement.withheld_yuan
        )
        assert statement.price_yuan == sum((line.price_yuan for line in lines), Decimal("0.00"))
        assert (
            statement.price_yuan
            == statement.allowance_yuan + statement.ltc_yuan + statement.self_pay_yuan
        )
        for line in lines:
            assert line.payable_yuan.as_tuple().exponent == -2
        from yiyang.settlement.models import Release

        release = Release(number="R-test", total_yuan=statement.payable_yuan)
        rows = documents.payment_rows(release, [statement])
        assert rows[2] == statement.payable_yuan
    finally:
        transaction.savepoint_rollback(sid)


package_visit = st.tuples(
    st.sampled_from(["liu", "zhang"]),
    st.integers(1, 28),
    st.sampled_from(["ZJ02", "JW03"]),
    st.sampled_from(["none", "none", "pending"]),
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    visits=st.lists(package_visit, min_size=1, max_size=10),
    package_fen=st.integers(1, 200000),
    minimum=st.integers(0, 6),
)
def test_totals_reconcile_with_monthly_packages(books: Books, visits, package_fen, minimum) -> None:
    """Package lines (pro-rated to the fen) and visit lines together: every statement's
    totals are its lines' sums, and the payment file's total theirs."""
    from tests.settlement.test_packages import package_contract
    from yiyang.settlement.models import Release

    sid = transaction.savepoint()
    try:
        package = package_contract(
            books, package_yuan=f"{Decimal(package_fen) / 100:.2f}", package_min_visits=minimum
        )
        for n, (elder, day, code, review) in enumerate(visits):
            books.visit(elder=elder, day=day, hour=7 + n, code=code, review_status=review)
        result = services.settle_month(
            actor=books.world.user[Role.FINANCE_OFFICER], month=books.month
        )
        for statement in result.statements:
            lines = list(StatementLine.objects.filter(statement=statement))
            assert statement.payable_yuan == sum((x.payable_yuan for x in lines), Decimal("0.00"))
            assert statement.allowance_yuan == statement.payable_yuan + statement.held_yuan
            assert statement.price_yuan == sum((x.price_yuan for x in lines), Decimal("0.00"))
            for line in lines:
                assert line.price_yuan.as_tuple().exponent == -2
                if line.source_kind == "package":
                    # Pro-rated to the fen, rounded half up: a package of a few fen and one
                    # verified visit of six rounds to 0.00 (a line is still written).
                    assert Decimal(0) <= line.price_yuan <= package.package_yuan
        packages = StatementLine.objects.filter(source_kind="package")
        assert packages.count() == len({e for e, _d, c, _r in visits if c == "ZJ02"})
        release = Release(number="R-test", total_yuan=Decimal("0.00"))
        rows = documents.payment_rows(release, result.statements)
        assert rows[2] == sum((s.payable_yuan for s in result.statements), Decimal("0.00"))
    finally:
        transaction.savepoint_rollback(sid)
