"""The settlement API's shapes: public ids are UUIDs, money is a decimal string."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yiyang.core.api.records import ProviderRef, RecordSerializer, ref
from yiyang.settlement.choices import ContractScope, Decision, FundPurpose, FundSource
from yiyang.settlement.display import hold_text
from yiyang.settlement.models import (
    BudgetLine,
    Contract,
    LineHold,
    Release,
    RiskScore,
    Statement,
    StatementLine,
)
from yiyang.settlement.selectors import budget_figures


class BudgetLineSerializer(RecordSerializer[BudgetLine]):
    city = serializers.CharField(source="city.code", read_only=True)
    spent_yuan = serializers.SerializerMethodField()
    committed_yuan = serializers.SerializerMethodField()
    remaining_yuan = serializers.SerializerMethodField()

    class Meta:
        model = BudgetLine
        fields = (
            "id",
            "city",
            "source",
            "year",
            "purpose",
            "name",
            "amount_yuan",
            "spent_yuan",
            "committed_yuan",
            "remaining_yuan",
        )

    def _figures(self, obj: BudgetLine) -> Any:
        cache = self.context.setdefault("figures", {})
        if obj.pk not in cache:
            cache[obj.pk] = budget_figures(obj)
        return cache[obj.pk]

    def get_spent_yuan(self, obj: BudgetLine) -> str:
        return str(self._figures(obj).spent)

    def get_committed_yuan(self, obj: BudgetLine) -> str:
        return str(self._figures(obj).committed)

    def get_remaining_yuan(self, obj: BudgetLine) -> str:
        return str(self._figures(obj).remaining)


class ContractSerializer(ProviderRef, RecordSerializer[Contract]):
    buyer = serializers.CharField(source="buyer.code", read_only=True)
    budget_line = ref("budget_line")
    items = serializers.SerializerMethodField()
    areas = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = (
            "id",
            "number",
            "scope",
            "buyer",
            "provider",
            "provider_name",
            "budget_line",
            "starts_on",
            "ends_on",
            "cap_yuan",
            *Contract.TERMS,
            "items",
            "areas",
        )

    def get_items(self, obj: Contract) -> list[dict[str, str | None]]:
        package = obj.package_yuan is not None  # its services carry no unit price
        return [
            {"item": i.item.code, "unit_price": None if package else str(i.unit_price)}
            for i in obj.items.all()
        ]

    def get_areas(self, obj: Contract) -> list[str]:
        return [a.division.code for a in obj.areas.all()]


class ContractCreateSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=40)
    scope = serializers.ChoiceField(
        choices=ContractScope.choices,
        default=ContractScope.HOME_CARE,
        help_text="home_care: services at unit prices; meals: a canteen's served meals only "
        "(no prices)",
    )
    buyer = serializers.CharField(help_text="the buying division's code (city or district)")
    provider = serializers.UUIDField()
    budget_line = serializers.UUIDField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    cap_yuan = serializers.DecimalField(max_digits=14, decimal_places=2)
    prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True),
        help_text="service item code -> unit price (empty for a meal-only contract; null for "
        "a service a monthly package covers)",
    )
    package_yuan = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="a per-elder monthly package: the amount a month per elder served (the "
        "contract then pays no unit prices)",
    )
    package_min_visits = serializers.IntegerField(
        min_value=0,
        max_value=62,
        required=False,
        help_text="verified visits a month for the full package (fewer: pro-rated; 0: any)",
    )
    areas = serializers.ListField(child=serializers.CharField(), help_text="division codes served")
    # Performance terms (the contract's defaults when left out), percentages 0-100.
    on_time_target = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    verified_target = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    complaints_limit = serializers.IntegerField(min_value=0, required=False)
    evaluation_target = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)


class ContractUpdateSerializer(ContractCreateSerializer):
    """A contract's new terms (its provider and what it buys never change)."""

    provider = None  # type: ignore[assignment]
    scope = serializers.ChoiceField(
        choices=ContractScope.choices, required=False, help_text="if given, the contract's own"
    )


class BudgetLineCreateSerializer(serializers.Serializer[Any]):
    city = serializers.CharField(help_text="the city's division code")
    source = serializers.ChoiceField(choices=FundSource.choices)  # type: ignore[assignment]
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    purpose = serializers.ChoiceField(choices=FundPurpose.choices)
    name = serializers.CharField(max_length=100)
    amount_yuan = serializers.DecimalField(max_digits=14, decimal_places=2)


class AllocationSerializer(serializers.Serializer[Any]):
    district = serializers.CharField(help_text="the district's division code")
    amount_yuan = serializers.DecimalField(max_digits=14, decimal_places=2)


class StatementSerializer(ProviderRef, RecordSerializer[Statement]):
    contract = serializers.CharField(source="contract.number", read_only=True)
    month = serializers.DateField(format="%Y-%m", read_only=True)
    release = serializers.CharField(source="release.number", read_only=True, default=None)

    class Meta:
        model = Statement
        fields = (
            "id",
            "contract",
            "provider",
            "provider_name",
            "month",
            "status",
            "due_on",
            "lines_count",
            "price_yuan",
            "allowance_yuan",
            "ltc_yuan",
            "self_pay_yuan",
            "held_yuan",
            "withheld_yuan",
            "payable_yuan",
            "release",
            "payment_reference",
            "paid_on",
        )
        read_only_fields = fields


class HoldSerializer(serializers.ModelSerializer[LineHold]):
    text = serializers.SerializerMethodField()

    class Meta:
        model = LineHold
        fields = ("reason", "detail", "text")

    def get_text(self, obj: LineHold) -> str:
        return hold_text(obj.reason, obj.detail)


class LineSerializer(RecordSerializer[StatementLine]):
    elder = serializers.UUIDField(
        source="elder.external_id", read_only=True, allow_null=True, default=None
    )
    elder_name = serializers.CharField(
        source="elder.name", read_only=True, allow_null=True, default=None
    )
    # The caregiver paid on a payee line (a caregiver's subsidy); None on service lines.
    person = serializers.UUIDField(
        source="person.external_id", read_only=True, allow_null=True, default=None
    )
    holds = HoldSerializer(many=True, read_only=True)
    adjusts = serializers.UUIDField(source="adjusts.external_id", read_only=True, default=None)

    class Meta:
        model = StatementLine
        fields = (
            "id",
            "source_kind",
            "date",
            "elder",
            "elder_name",
            "person",
            "description",
            "price_yuan",
            "allowance_yuan",
            "ltc_yuan",
            "self_pay_yuan",
            "payable_yuan",
            "status",
            "holds",
            "dispute_reason",
            "adjusts",
        )
        read_only_fields = fields


class SettlementReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


class DecisionSerializer(SettlementReasonSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    amount_yuan = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)


class AdjustmentSerializer(SettlementReasonSerializer):
    amount_yuan = serializers.DecimalField(max_digits=10, decimal_places=2)


class ReleaseSerializer(RecordSerializer[Release]):
    budget_line = ref("budget_line")
    statements = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = (
            "id",
            "number",
            "budget_line",
            "total_yuan",
            "payment_reference",
            "paid_on",
            "statements",
        )
        read_only_fields = fields

    def get_statements(self, obj: Release) -> list[str]:
        return [str(s.external_id) for s in obj.statements.all()]


class ReleaseCreateSerializer(serializers.Serializer[Any]):
    statements = serializers.ListField(child=serializers.UUIDField(), min_length=1)


class PaidSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=64)
    paid_on = serializers.DateField(required=False)


class RiskScoreSerializer(ProviderRef, serializers.ModelSerializer[RiskScore]):
    caregiver = serializers.UUIDField(source="caregiver.external_id", read_only=True, default=None)
    month = serializers.DateField(format="%Y-%m", read_only=True)

    class Meta:
        model = RiskScore
        fields = ("month", "provider", "provider_name", "caregiver", "visits", "score", "factors")
        read_only_fields = fields
