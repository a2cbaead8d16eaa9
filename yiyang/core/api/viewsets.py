"""The shape every domain viewset shares: objects the caller may see, addressed by their
external id, read through the app's selectors; a request body validated in one call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models
from django.db.models import QuerySet
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer

from yiyang.core.permissions import Actor, request_actor


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset over what the caller may see.

    Subclasses set ``model`` (the schema generator gets an empty queryset of it) and implement
    :meth:`visible` with the app's list selector; where the app has an "one object or 404"
    selector taking ``actor`` and ``external_id``, they set ``get_for_actor`` to it
    (``staticmethod(...)``) so that detail actions give the same answer as the page."""

    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    model: ClassVar[type[models.Model]]
    get_for_actor: ClassVar[Callable[..., Any] | None] = None

    def visible(self, actor: Actor) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.visible(request_actor(self.request))

    def get_object(self) -> Any:
        if self.get_for_actor is None:
            return super().get_object()
        return self.get_for_actor(
            actor=request_actor(self.request), external_id=self.kwargs[self.lookup_url_kwarg]
        )


class ScopedReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """List and detail of what the caller may see, plus the subclass's own actions."""


def validated(
    request: Request, serializer_class: type[BaseSerializer[Any]], *, partial: bool = False
) -> dict[str, Any]:
    """The request body checked by ``serializer_class`` (a 400 with field errors when it is
    not valid), as a dict the caller may pop from."""
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
