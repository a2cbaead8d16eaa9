"""The shape every domain viewset shares: objects the caller may see, addressed by their
external id, read through the app's selectors; a request body validated in one call; a
lifecycle step applied to the addressed object by one service call; an answer with 201 for
what a request created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from yiyang.core.permissions import Actor, request_actor


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset over what the caller may see.

    Subclasses set ``model`` (the schema generator gets an empty queryset of it) and either
    ``list_selector`` (the app's list selector, called with ``actor=``) or their own
    :meth:`visible`; where the app has an "one object or 404" selector taking ``actor`` and
    ``external_id``, they set ``get_for_actor`` to it (``staticmethod(...)``) so that detail
    actions give the same answer as the page. ``step_target`` names the keyword under which
    the services take the addressed object (see :meth:`transition`)."""

    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    model: ClassVar[type[models.Model]]
    list_selector: ClassVar[Callable[..., QuerySet[Any]] | None] = None
    get_for_actor: ClassVar[Callable[..., Any] | None] = None
    step_target: ClassVar[str] = ""

    @property
    def actor(self) -> Actor:
        """The caller, as the services take it."""
        return request_actor(self.request)

    def visible(self, actor: Actor) -> QuerySet[Any]:
        if self.list_selector is None:
            raise NotImplementedError
        return self.list_selector(actor=actor)

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

    def paginated(self, serializer_class: type[BaseSerializer[Any]], rows: Any) -> Response:
        """A page of ``rows`` as ``serializer_class`` shows them, with the paging links."""
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def transition(
        self, service: Callable[..., Any], /, *, target: Any = None, **kwargs: Any
    ) -> Response:
        """One lifecycle step: ``service`` called as the caller with the addressed object
        (``target`` when the action fetched it already, before checking the body) under the
        keyword ``step_target`` and with ``kwargs``; what it returns answered by
        :meth:`step_answer`."""
        obj = self.get_object() if target is None else target
        return self.step_answer(service(actor=self.actor, **{self.step_target: obj}, **kwargs))

    def step_answer(self, obj: Any) -> Response:
        """The answer to a step: the object as the viewset's serializer shows it. A viewset
        whose answer needs more (a fresh read, revealed fields) overrides this."""
        return answer(self.get_serializer_class(), obj)


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


def answer(
    serializer_class: type[BaseSerializer[Any]], instance: Any, *, created: bool = False
) -> Response:
    """``instance`` as ``serializer_class`` shows it; 201 when the request created it."""
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return Response(serializer_class(instance).data, status=code)


def step_action(
    service: Callable[..., Any],
    *,
    answer: type[BaseSerializer[Any]],
    body: type[BaseSerializer[Any]] | None = None,
    doc: str | None = None,
    **options: Any,
) -> Any:
    """A detail POST action that is one lifecycle step and nothing more: the request body
    checked by ``body`` (none without it) and handed to ``service`` as keywords, with the
    addressed object (:meth:`ScopedViewSet.transition`). ``answer`` is the serializer the
    schema names for the 200 answer; ``doc`` the action's description; ``options`` go to
    DRF's ``action`` (``url_path``). Assign it in the class body under the action's name."""
    return _StepAction(service, answer, body, doc, options)


class _StepAction:
    """Becomes the viewset's action when the class is made (:meth:`__set_name__`), so that
    DRF's router and the schema generator see an ordinary decorated method."""

    def __init__(
        self,
        service: Callable[..., Any],
        answer: type[BaseSerializer[Any]],
        body: type[BaseSerializer[Any]] | None,
        doc: str | None,
        options: dict[str, Any],
    ) -> None:
        self.service, self.answer, self.body = service, answer, body
        self.doc, self.options = doc, options

    def __set_name__(self, owner: type, name: str) -> None:
        service, body = self.service, self.body

        def run(view: ScopedViewSet, request: Request, id: str) -> Response:
            data = validated(request, body) if body is not None else {}
            return view.transition(service, **data)

        run.__name__ = run.__qualname__ = name
        run.__doc__ = self.doc
        method = action(detail=True, methods=["post"], **self.options)(run)
        setattr(owner, name, extend_schema(request=body, responses={200: self.answer})(method))
