"""Registers edited through the API (divisions, organisations, users): records created, read
and corrected, never deleted, whose related fields offer only what the caller may reach
(convention 13: form choices come from the same scoped selectors as the lists)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import mixins
from rest_framework.serializers import BaseSerializer

from yiyang.core.api.viewsets import ScopedViewSet
from yiyang.core.permissions import Actor, request_actor


class ScopedChoicesMixin:
    """Mix into a viewset before its base: ``choice_fields`` names the related fields and
    :meth:`field_choices` gives each its queryset for the caller (and the object edited)."""

    choice_fields: ClassVar[tuple[str, ...]] = ()

    def field_choices(self, actor: Actor, instance: Any) -> dict[str, QuerySet[Any]]:
        raise NotImplementedError

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        serializer: BaseSerializer[Any] = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        fields = getattr(serializer, "fields", {})
        if getattr(self, "swagger_fake_view", False) or not any(
            name in fields for name in self.choice_fields
        ):
            return serializer
        request = self.request  # type: ignore[attr-defined]
        choices = self.field_choices(request_actor(request), getattr(serializer, "instance", None))
        for name, queryset in choices.items():
            fields[name].queryset = queryset
        return serializer


class ScopedRegisterViewSet(
    ScopedChoicesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """List, detail, create and correct (PATCH) what the caller may see; no DELETE, no PUT.
    ``list_selector`` is the register's list selector (``actor=``); ``create_service`` and
    ``update_service`` its two writes, the latter taking the record under ``step_target``."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service: ClassVar[Callable[..., Any]]
    update_service: ClassVar[Callable[..., Any]]

    def service_input(self, data: dict[str, Any], *, created: bool) -> dict[str, Any]:
        """The checked body as the service takes it (a register may rename or default)."""
        return data

    def perform_create(self, serializer: Any) -> None:
        data = self.service_input(dict(serializer.validated_data), created=True)
        serializer.instance = self.create_service(actor=self.actor, **data)

    def perform_update(self, serializer: Any) -> None:
        data = self.service_input(dict(serializer.validated_data), created=False)
        record = {self.step_target: serializer.instance}
        serializer.instance = self.update_service(actor=self.actor, **record, **data)
