"""The settlement API: budget lines, contracts, statements and their lines with the
workflow's actions, payment releases with their payment files, and risk scores. Every read
goes through the app's scoped selectors; every write through one service."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.api.viewsets import ScopedViewSet, answer, step_action, validated
from yiyang.core.downloads import download_response
from yiyang.core.permissions import Actor
from yiyang.settlement import documents, selectors, services
from yiyang.settlement.api import serializers as s
from yiyang.settlement.models import (
    BudgetLine,
    Contract,
    Release,
    RiskScore,
    Statement,
    StatementLine,
)

XLSX = documents.XLSX


class BudgetLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Budget lines with what is spent and committed against each, live."""

    serializer_class = s.BudgetLineSerializer
    model = BudgetLine
    list_selector = staticmethod(selectors.budget_list)
    get_for_actor = staticmethod(selectors.budget_get_for_actor)

    @extend_schema(request=s.BudgetLineCreateSerializer, responses={201: s.BudgetLineSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, s.BudgetLineCreateSerializer)
        data["city"] = selectors.division_for_code(code=data["city"], field="city")
        line = services.budget_line_create(actor=self.actor, **data)
        return answer(s.BudgetLineSerializer, line, created=True)

    @extend_schema(request=s.AllocationSerializer, responses={200: s.BudgetLineSerializer})
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, id: str) -> Response:
        data = validated(request, s.AllocationSerializer)
        line = self.get_object()
        district = selectors.division_for_code(code=data["district"], field="district")
        services.allocation_set(
            actor=self.actor,
            line=line,
            district=district,
            amount_yuan=data["amount_yuan"],
        )
        return Response(s.BudgetLineSerializer(line).data)


class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Purchase contracts: a provider sees its own, offices those they signed or that serve
    their division."""

    serializer_class = s.ContractSerializer
    model = Contract
    list_selector = staticmethod(selectors.contract_list)
    get_for_actor = staticmethod(selectors.contract_get_for_actor)

    @extend_schema(request=s.ContractCreateSerializer, responses={201: s.ContractSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, s.ContractCreateSerializer)
        from yiyang.core.permissions import Permission, require_perm

        require_perm(self.actor, Permission.MANAGE_CONTRACTS)
        values = selectors.contract_inputs(actor=self.actor, data=data)
        contract = services.contract_create(actor=self.actor, **values)
        return answer(s.ContractSerializer, contract, created=True)

    @extend_schema(request=s.ContractUpdateSerializer, responses={200: s.ContractSerializer})
    def update(self, request: Request, id: str) -> Response:
        """Change a contract's terms (refused for period, prices and areas once a statement
        under it is past the draft)."""
        contract = self.get_object()
        data = validated(request, s.ContractUpdateSerializer)
        data = {**data, "provider": contract.provider.external_id}
        values = selectors.contract_inputs(actor=self.actor, data=data)
        values.pop("provider")
        contract = services.contract_update(actor=self.actor, contract=contract, **values)
        return Response(s.ContractSerializer(contract).data)


MONTH = OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM")


def _month(request: Request) -> datetime.date | None:
    text = request.query_params.get("month")
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise ValidationError({"month": _("Give the month as YYYY-MM.")}) from exc


class StatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Monthly statements and their workflow. A statement is never edited through the API:
    lines are decided, the statement confirmed, verified, approved, released; an approved
    statement is corrected by adjustment in a later month."""

    serializer_class = s.StatementSerializer
    model = Statement
    get_for_actor = staticmethod(selectors.statement_get_for_actor)
    step_target = "statement"

    def visible(self, actor: Actor) -> QuerySet[Statement]:
        return selectors.statement_list(
            actor=actor,
            filters={
                "month": _month(self.request),
                "status": self.request.query_params.get("status"),
            },
        )

    @extend_schema(parameters=[MONTH, OpenApiParameter("status", OpenApiTypes.STR)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={405: OpenApiTypes.OBJECT})
    def partial_update(self, request: Request, id: str) -> Response:
        """Refused: statements change only through their workflow."""
        statement = self.get_object()
        message = (
            _("An approved statement is immutable: correct it by an adjustment.")
            if statement.status in ("approved", "released", "paid")
            else _(
                "A statement changes only through its workflow: decide lines, confirm, verify, "
                "approve."
            )
        )
        return Response({"detail": message}, status=status.HTTP_405_METHOD_NOT_ALLOWED)

    @extend_schema(responses=s.LineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request: Request, id: str) -> Response:
        """The statement's lines the caller may see (a street officer: its street's)."""
        lines = selectors.statement_lines(actor=self.actor, statement=self.get_object())
        return self.paginated(s.LineSerializer, lines)

    confirm = step_action(services.statement_confirm, answer=s.StatementSerializer)

    verify = step_action(services.statement_verify, answer=s.StatementSerializer)

    approve = step_action(services.statement_approve, answer=s.StatementSerializer)

    @extend_schema(request=s.SettlementReasonSerializer, responses=s.StatementSerializer)
    @action(detail=True, methods=["post"], url_path="budget-override")
    def budget_override(self, request: Request, id: str) -> Response:
        data = validated(request, s.SettlementReasonSerializer)
        statement = self.get_object()
        services.budget_override_record(
            actor=self.actor, statement=statement, reason=data["reason"]
        )
        return Response(s.StatementSerializer(statement).data)

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def xlsx(self, request: Request, id: str) -> HttpResponse:
        statement = self.get_object()
        data = documents.statement_xlsx(
            statement, selectors.statement_lines(actor=self.actor, statement=statement)
        )
        return download_response(data, f"statement-{statement.external_id}.xlsx", XLSX)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, id: str) -> HttpResponse:
        from yiyang.settlement.pdf import statement_pdf

        statement = self.get_object()
        data = statement_pdf(
            statement, selectors.statement_lines(actor=self.actor, statement=statement)
        )
        return download_response(data, f"statement-{statement.external_id}.pdf", "application/pdf")


class LineViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """One statement line, and what may be done to it: disputed by the provider, decided by
    the street, corrected by the district after approval."""

    serializer_class = s.LineSerializer
    model = StatementLine
    get_for_actor = staticmethod(selectors.line_get_for_actor)
    step_target = "line"

    def get_queryset(self) -> Any:
        return Statement.objects.none()

    dispute = step_action(
        services.line_dispute, answer=s.LineSerializer, body=s.SettlementReasonSerializer
    )

    decide = step_action(services.line_decide, answer=s.LineSerializer, body=s.DecisionSerializer)

    @extend_schema(request=s.AdjustmentSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, id: str) -> Response:
        data = validated(request, s.AdjustmentSerializer)
        adjustment = services.adjustment_add(actor=self.actor, line=self.get_object(), **data)
        return Response(
            {"id": str(adjustment.external_id), "amount_yuan": str(adjustment.amount_yuan)},
            status=status.HTTP_201_CREATED,
        )


class ReleaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Payment releases by city finance, each with its payment file."""

    serializer_class = s.ReleaseSerializer
    model = Release
    get_for_actor = staticmethod(selectors.release_get_for_actor)
    step_target = "release"

    def visible(self, actor: Actor) -> QuerySet[Release]:
        return selectors.release_list(actor=actor).prefetch_related("statements")

    @extend_schema(request=s.ReleaseCreateSerializer, responses={201: s.ReleaseSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, s.ReleaseCreateSerializer)
        ids = data["statements"]
        statements = list(selectors.statement_list(actor=self.actor).filter(external_id__in=ids))
        if len(statements) != len(set(ids)):
            raise ValidationError(
                {"statements": _("Some statements are unknown or outside your city.")}
            )
        release = services.release_create(actor=self.actor, statements=statements)
        return answer(s.ReleaseSerializer, release, created=True)

    paid = step_action(
        services.release_mark_paid, answer=s.ReleaseSerializer, body=s.PaidSerializer
    )

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["xlsx", "csv"])],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="payment-file")
    def payment_file(self, request: Request, id: str) -> HttpResponse:
        release = self.get_object()
        statements = selectors.release_statements(release)
        as_csv = request.query_params.get("format") == "csv"
        return documents.payment_file(release, statements, as_csv=as_csv)


class RiskScoreViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The month's risk scores of providers (caregiver empty) and caregivers, riskiest first."""

    serializer_class = s.RiskScoreSerializer
    model = RiskScore

    def visible(self, actor: Actor) -> QuerySet[RiskScore]:
        month = _month(self.request) or datetime.date.today().replace(day=1)
        return selectors.risk_list(actor=actor, month=month)

    @extend_schema(parameters=[MONTH])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
