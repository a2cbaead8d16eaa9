"""The read side of an API viewset, decided once: its list and its object come from the
app's scoped selectors (conventions 3 and 13), never from a queryset the view filters itself.

A viewset names its selectors and the query parameters its list selector takes as filters::

    class RatingViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
        serializer_class = RatingSerializer
        list_selector = staticmethod(selectors.rating_list)
        get_selector = staticmethod(selectors.rating_get_for_actor)
        filter_params = ("status",)

A list that needs more (ordering, prefetching, a parsed parameter) overrides
:meth:`ScopedViewSet.scoped_queryset`; the schema generator always gets an empty queryset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import viewsets

from yiyang.core.permissions import Actor, request_actor


class ScopedViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    # ``list_selector(actor=..., filters=...)`` (``filters`` only when ``filter_params`` is
    # not None) and ``get_selector(actor=..., external_id=...)`` raising 404.
    list_selector: ClassVar[Callable[..., QuerySet[Any]]]
    get_selector: ClassVar[Callable[..., Any]]
    filter_params: ClassVar[tuple[str, ...] | None] = None

    @property
    def actor(self) -> Actor:
        return request_actor(self.request)

    def schema_only(self) -> bool:
        """True while drf-spectacular builds the schema (no user, no database reads)."""
        return bool(getattr(self, "swagger_fake_view", False))

    def filters(self) -> dict[str, Any]:
        params = self.request.query_params
        return {name: params.get(name, "") for name in self.filter_params or ()}

    def scoped_queryset(self) -> QuerySet[Any]:
        if self.filter_params is None:
            return self.list_selector(actor=self.actor)
        return self.list_selector(actor=self.actor, filters=self.filters())

    def get_queryset(self) -> QuerySet[Any]:
        if self.schema_only():
            model: type[Model] = self.get_serializer_class().Meta.model
            return model._default_manager.none()
        return self.scoped_queryset()

    def get_object(self) -> Any:
        return self.get_selector(actor=self.actor, external_id=self.kwargs[self.lookup_url_kwarg])
