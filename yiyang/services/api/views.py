"""The service list, providers' offerings and caregivers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.api.viewsets import ScopedReadViewSet, ScopedViewSet, answer, validated
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, request_actor, require_perm
from yiyang.services import services
from yiyang.services.api.serializers import (
    CaregiverSerializer,
    CaregiverWriteSerializer,
    CertificateWriteSerializer,
    OfferingSerializer,
    OfferingWriteSerializer,
    ServiceAreasSerializer,
    ServiceItemSerializer,
)
from yiyang.services.models import Caregiver, ServiceItem, ServiceOffering
from yiyang.services.selectors import (
    caregiver_get_for_actor,
    caregiver_list,
    offering_list,
    provider_areas,
    provider_queryset,
    service_item_get,
    service_items,
)


class ServiceItemViewSet(ScopedReadViewSet):
    """The city's service list (服务清单); city administrators edit it."""

    serializer_class = ServiceItemSerializer

    model = ServiceItem
    get_for_actor = staticmethod(service_item_get)

    def visible(self, actor: Actor) -> QuerySet[ServiceItem]:
        items = service_items(actor=actor)
        category = self.request.query_params.get("category")
        return items.filter(category=category) if category else items

    def create(self, request: Request) -> Response:
        actor = request_actor(request)
        require_perm(actor, Permission.MANAGE_SERVICE_LIST)
        serializer = ServiceItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        city = _actor_city(actor)
        item = services.service_item_save(actor=actor, city=city, **serializer.validated_data)
        return answer(ServiceItemSerializer, item, created=True)

    def partial_update(self, request: Request, id: str) -> Response:
        actor = request_actor(request)
        item = self.get_object()
        serializer = ServiceItemSerializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = services.service_item_save(
            actor=actor, city=item.city, item=item, **serializer.validated_data
        )
        return Response(ServiceItemSerializer(item).data)


def _actor_city(actor: Any) -> Any:
    prefix = actor.scope.division_prefix or ""
    city = (
        Division.objects.filter(level="city", code__startswith=prefix[:4]).first()
        if prefix
        else None
    )
    if city is None:
        raise ValidationError({"city": _("Your account is not attached to a city.")})
    return city


class CaregiverViewSet(ScopedReadViewSet):
    """Caregivers of the providers in the caller's scope."""

    serializer_class = CaregiverSerializer

    model = Caregiver
    get_for_actor = staticmethod(caregiver_get_for_actor)

    def visible(self, actor: Actor) -> QuerySet[Caregiver]:
        return caregiver_list(
            actor=actor, filters=self.request.query_params.dict()
        ).prefetch_related("certificates")

    @extend_schema(request=CaregiverWriteSerializer, responses={201: CaregiverSerializer})
    def create(self, request: Request) -> Response:
        actor = request_actor(request)
        require_perm(actor, Permission.MANAGE_CAREGIVERS)
        data = validated(request, CaregiverWriteSerializer)
        providers = provider_queryset(actor=actor)
        provider = providers.filter(external_id=data.pop("provider", None)).first() or (
            providers.first() if providers.count() == 1 else None
        )
        if provider is None:
            raise ValidationError({"provider": _("Give one of your providers.")})
        if not data.get("name"):
            raise ValidationError({"name": _("Give the caregiver's name.")})
        caregiver = services.caregiver_save(actor=actor, provider=provider, **data)
        return answer(CaregiverSerializer, caregiver, created=True)

    @extend_schema(request=CaregiverWriteSerializer, responses={200: CaregiverSerializer})
    def partial_update(self, request: Request, id: str) -> Response:
        actor = request_actor(request)
        caregiver = self.get_object()
        data = validated(request, CaregiverWriteSerializer, partial=True)
        data.pop("provider", None)
        caregiver = services.caregiver_save(
            actor=actor, provider=caregiver.provider, caregiver=caregiver, **data
        )
        return Response(CaregiverSerializer(caregiver).data)

    @extend_schema(request=CertificateWriteSerializer, responses={201: CaregiverSerializer})
    @action(detail=True, methods=["post"])
    def certificates(self, request: Request, id: str) -> Response:
        """Record a certificate with its expiry date."""
        caregiver = self.get_object()
        data = validated(request, CertificateWriteSerializer)
        services.certificate_add(actor=request_actor(request), caregiver=caregiver, **data)
        return Response(CaregiverSerializer(self.get_object()).data, status=status.HTTP_201_CREATED)


class OfferingViewSet(mixins.ListModelMixin, ScopedViewSet):
    """What providers in the caller's scope offer, at what price."""

    serializer_class = OfferingSerializer
    model = ServiceOffering
    list_selector = staticmethod(offering_list)

    @extend_schema(request=OfferingWriteSerializer, responses={201: OfferingSerializer})
    def create(self, request: Request) -> Response:
        """Offer an item of the list at the provider's price (or change the price)."""
        actor = request_actor(request)
        data = validated(request, OfferingWriteSerializer)
        provider = _own_provider(provider_queryset(actor=actor), data["provider"])
        item = service_item_get(actor=actor, external_id=data["service"])
        offering = services.offering_set(
            actor=actor, provider=provider, item=item, price=data["price"], active=data["is_active"]
        )
        return answer(OfferingSerializer, offering, created=True)

    @extend_schema(
        methods=["GET"], request=None, responses={200: ServiceAreasSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"], request=ServiceAreasSerializer, responses={200: ServiceAreasSerializer}
    )
    @action(detail=False, methods=["get", "post"])
    def areas(self, request: Request) -> Response:
        """The divisions each provider in scope serves; POST replaces one provider's list."""
        actor = request_actor(request)
        require_perm(actor, Permission.VIEW_SERVICE_LIST)
        providers = provider_queryset(actor=actor)
        if request.method == "POST":
            data = validated(request, ServiceAreasSerializer)
            provider = _own_provider(providers, data["provider"])
            divisions = list(Division.objects.filter(code__in=data["divisions"]))
            unknown = sorted(set(data["divisions"]) - {d.code for d in divisions})
            if unknown:
                raise ValidationError(
                    {
                        "divisions": _("Unknown division codes: %(codes)s.")
                        % {"codes": ", ".join(unknown)}
                    }
                )
            services.service_areas_set(actor=actor, provider=provider, divisions=divisions)
            return Response(self._areas(provider))
        # Providers that serve somewhere, a page at a time (like every list).
        serving = providers.filter(service_areas__isnull=False).distinct().order_by("pk")
        page = self.paginate_queryset(serving)
        return self.get_paginated_response([self._areas(p) for p in page or []])

    @staticmethod
    def _areas(provider: Any) -> dict[str, Any]:
        return {
            "provider": str(provider.external_id),
            "divisions": [a.division.code for a in provider_areas(provider=provider)],
        }


def _own_provider(providers: QuerySet[Any], external_id: Any) -> Any:
    """The provider of ``providers`` (the caller's) the body names; a 400 on ``provider``
    otherwise."""
    provider = providers.filter(external_id=external_id).first()
    if provider is None:
        raise ValidationError({"provider": _("Give one of your providers.")})
    return provider
