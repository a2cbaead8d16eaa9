from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from yiyang.core.api.viewsets import ScopedReadViewSet, answer
from yiyang.core.indicators import Indicator, provider_compute
from yiyang.core.permissions import Actor, Permission, request_actor, require_perm
from yiyang.indicators import services
from yiyang.indicators.api.serializers import (
    IndicatorSerializer,
    IndicatorTargetChangeSerializer,
    IndicatorTargetSerializer,
    IndicatorTargetWriteSerializer,
    IndicatorValueSerializer,
    ProviderValueSerializer,
)
from yiyang.indicators.models import IndicatorTarget
from yiyang.indicators.selectors import (
    current_month,
    indicator_catalogue,
    indicator_default_division,
    indicator_division_get,
    indicator_get,
    indicator_values,
    month_parse,
    provider_ranking,
    target_get_for_actor,
    target_list,
)


def _indicator_data(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "name": str(indicator.name),
        "unit": indicator.unit,
        "unit_label": indicator.unit_label,
        "definition": str(indicator.definition),
        "direction": indicator.direction,
        "levels": list(indicator.levels),
        "category": indicator.category,
        "headline": indicator.headline,
        "per_provider": provider_compute(indicator.code) is not None,
    }


class IndicatorViewSet(viewsets.ViewSet):
    """The indicator catalogue, and an indicator's values by month for a division of the
    caller's jurisdiction (or for every division at a level below it)."""

    lookup_field = "code"
    lookup_value_regex = "[a-z0-9_]+"

    @extend_schema(responses=IndicatorSerializer(many=True))
    def list(self, request: Request) -> Response:
        require_perm(request_actor(request), Permission.VIEW_INDICATORS)
        return Response([_indicator_data(i) for i in indicator_catalogue()])

    @extend_schema(responses=IndicatorSerializer)
    def retrieve(self, request: Request, code: str) -> Response:
        require_perm(request_actor(request), Permission.VIEW_INDICATORS)
        return Response(_indicator_data(indicator_get(code)))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "division",
                OpenApiTypes.STR,
                description="a division's code or external id (default: the top "
                "of your jurisdiction)",
            ),
            OpenApiParameter(
                "level",
                OpenApiTypes.STR,
                enum=["city", "district", "street", "community"],
                description="every division at this level below",
            ),
            OpenApiParameter("from", OpenApiTypes.STR, description="first month, YYYY-MM"),
            OpenApiParameter(
                "to",
                OpenApiTypes.STR,
                description="last month, YYYY-MM (default: the running month)",
            ),
        ],
        responses=IndicatorValueSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def values(self, request: Request, code: str) -> Response:
        actor = request_actor(request)
        params = request.query_params
        division = (
            indicator_division_get(actor=actor, key=params["division"])
            if params.get("division")
            else indicator_default_division(actor=actor)
        )
        first, last = params.get("from"), params.get("to")
        if first:
            services.months_with_data_check(month_parse(first, field_name="from"), "from")
        points = indicator_values(
            actor=actor,
            code=code,
            division=division,
            level=params.get("level") or None,
            month_from=month_parse(first, field_name="from") if first else None,
            month_to=month_parse(last, field_name="to") if last else None,
        )
        data = [
            {
                "month": f"{p.month:%Y-%m}",
                "division": p.division.external_id,
                "division_code": p.division.code,
                "division_name": p.division.name,
                "level": p.division.level,
                "value": p.value.value,
                "numerator": p.value.numerator,
                "denominator": p.value.denominator,
                "display": p.value.display,
            }
            for p in points
        ]
        return Response(IndicatorValueSerializer(data, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "division",
                OpenApiTypes.STR,
                description="only providers based under this division (code or "
                "external id); default: all you may see",
            ),
            OpenApiParameter(
                "month", OpenApiTypes.STR, description="YYYY-MM (default: the running month)"
            ),
        ],
        responses=ProviderValueSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def providers(self, request: Request, code: str) -> Response:
        """The providers you may see ranked by the indicator's provider form (indicators
        with ``per_provider``), best first."""
        actor = request_actor(request)
        params = request.query_params
        division = (
            indicator_division_get(actor=actor, key=params["division"])
            if params.get("division")
            else None
        )
        month = None
        if params.get("month"):
            month = month_parse(params["month"])
            services.months_with_data_check(month)
        figures = provider_ranking(actor=actor, code=code, division=division, month=month)
        shown = month or current_month()
        data = [
            {
                "month": f"{shown:%Y-%m}",
                "rank": n,
                "provider": f.provider.external_id,
                "provider_name": f.provider.name,
                "division_code": f.provider.division.code,
                "value": f.value.value,
                "numerator": f.value.numerator,
                "denominator": f.value.denominator,
                "display": f.value.display,
            }
            for n, f in enumerate(figures, start=1)
        ]
        return Response(ProviderValueSerializer(data, many=True).data)


class IndicatorTargetViewSet(ScopedReadViewSet):
    """Targets per indicator, year and division: those of the caller's jurisdiction and of
    the divisions above it. City administrators set them (district officers for their
    district); every change is in the audit log."""

    serializer_class = IndicatorTargetSerializer

    model = IndicatorTarget
    get_for_actor = staticmethod(target_get_for_actor)

    def visible(self, actor: Actor) -> QuerySet[IndicatorTarget]:
        queryset = target_list(actor=actor)
        params = self.request.query_params
        if params.get("code"):
            queryset = queryset.filter(code=params["code"])
        if params.get("year", "").isdigit():
            queryset = queryset.filter(year=int(params["year"]))
        return queryset

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return IndicatorTargetSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, description="an indicator code"),
            OpenApiParameter("year", OpenApiTypes.INT),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=IndicatorTargetWriteSerializer, responses={201: IndicatorTargetSerializer}
    )
    def create(self, request: Request) -> Response:
        actor = request_actor(request)
        require_perm(actor, Permission.MANAGE_INDICATOR_TARGETS)
        form = IndicatorTargetWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        target = services.target_set(
            actor=actor,
            code=data["code"],
            year=data["year"],
            division=indicator_division_get(actor=actor, key=data["division"]),
            value=data["value"],
            unit=data.get("unit") or None,
            note=data.get("note", ""),
        )
        return answer(IndicatorTargetSerializer, target, created=True)

    @extend_schema(request=IndicatorTargetChangeSerializer, responses=IndicatorTargetSerializer)
    def partial_update(self, request: Request, id: str) -> Response:
        actor = request_actor(request)
        target = self.get_object()
        form = IndicatorTargetChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        target = services.target_set(
            actor=actor,
            code=target.code,
            year=target.year,
            division=target.division,
            value=data["value"],
            unit=data.get("unit") or None,
            note=data.get("note", target.note),
        )
        return Response(IndicatorTargetSerializer(target).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, id: str) -> Response:
        services.target_delete(actor=request_actor(request), target=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
