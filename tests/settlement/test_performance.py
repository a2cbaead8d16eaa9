"""A contract's performance terms read against a statement's month (issue 14, contracts;
issue 16, the third-party evaluation feeding the contract's terms): each term's figure, its
target, met or not, and the page that shows them."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client

from tests.conftest import login
from tests.settlement.conftest import Books
from yiyang.core.permissions import Role
from yiyang.settlement import services
from yiyang.settlement.performance import contract_performance
from yiyang.supervision.models import EvaluationTemplate, ServiceEvaluation


def _statement(books: Books):
    return services.settle_month(
        actor=books.world.user[Role.FINANCE_OFFICER], month=books.month
    ).statements[0]


def _evaluate(books: Books, total: str, *, status: str = "scored") -> None:
    template = EvaluationTemplate.objects.create(
        code="t", version="1", name="评估", source="test", sections=[]
    )
    ServiceEvaluation.objects.create(
        provider=books.provider,
        division_code=books.provider.division.code,
        year=books.month.year,
        template=template,
        status=status,
        total=Decimal(total),
        max_total=Decimal("200"),
    )


def test_terms_against_the_month_met_and_not_met(books: Books) -> None:
    books.visit(day=3)
    books.visit(elder="zhang", day=4, caregiver="li")
    books.contract.on_time_target = Decimal("90")
    books.contract.evaluation_target = Decimal("80")
    books.contract.complaints_limit = 0
    books.contract.save()
    _evaluate(books, "150")  # 75 % of the points: under the 80 % target
    terms = {t.label: t for t in contract_performance(_statement(books))}
    assert terms["On-time rate"].target == "90.0%"
    assert terms["Verified share"].actual == "100.0%" and terms["Verified share"].met is True
    assert (terms["Complaints"].actual, terms["Complaints"].met) == ("0", True)
    evaluation = terms["Third-party evaluation"]
    assert (evaluation.actual, evaluation.met) == ("75.0%", False)
    assert str(books.month.year) in evaluation.source


def test_an_evaluation_not_yet_scored_is_nothing_to_measure(books: Books) -> None:
    books.visit(day=3)
    _evaluate(books, "190", status="open")
    evaluation = contract_performance(_statement(books))[-1]
    assert (evaluation.actual, evaluation.met) == ("—", None)


def test_the_statement_page_shows_the_terms(books: Books) -> None:
    books.visit(day=3)
    _evaluate(books, "190")
    statement = _statement(books)
    page = login(Client(), books.world.user[Role.FINANCE_OFFICER]).get(
        f"/settlement/statements/{statement.external_id}/"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="performance"' in html and "95.0%" in html
