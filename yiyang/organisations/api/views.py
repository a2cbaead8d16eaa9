from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, viewsets
from rest_framework.serializers import BaseSerializer

from yiyang.core.models import Division
from yiyang.core.permissions import request_actor
from yiyang.core.selectors import division_queryset
from yiyang.organisations import services
from yiyang.organisations.api.serializers import OrganisationSerializer
from yiyang.organisations.filtersets import OrganisationFilterSet
from yiyang.organisations.models import Organisation
from yiyang.organisations.selectors import (
    operator_choices,
    organisation_get_for_actor,
    organisation_list,
)


class OrganisationViewSet(  # the FilterSet is applied by DjangoFilterBackend
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Government offices and providers in the caller's jurisdiction. Never deleted: set
    ``status`` to ``closed``."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Organisation]:
        if getattr(self, "swagger_fake_view", False):
            return Organisation.objects.none()
        return organisation_list(actor=request_actor(self.request))

    def get_object(self) -> Organisation:
        return organisation_get_for_actor(
            actor=request_actor(self.request), external_id=self.kwargs["id"]
        )

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        serializer = super().get_serializer(*args, **kwargs)
        fields = getattr(serializer, "fields", {})
        if not getattr(self, "swagger_fake_view", False) and "division" in fields:
            actor = request_actor(self.request)
            divisions = division_queryset(actor=actor)
            instance = getattr(serializer, "instance", None)
            if isinstance(instance, Organisation):
                divisions = divisions | Division.objects.filter(pk=instance.division_id)
            fields["division"].queryset = divisions
            fields["operator"].queryset = operator_choices(actor=actor)
        return serializer

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.organisation_create(
            actor=request_actor(self.request),
            **serializer.validated_data,
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.organisation_update(
            actor=request_actor(self.request),
            organisation=serializer.instance,
            **serializer.validated_data,
        )
