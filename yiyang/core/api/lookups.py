"""An id given in a request body: a record out of the caller's reach (or unknown, or
malformed) is a 400 on that field, as any invalid value there is, not a 404 of the endpoint
(the path's own object is fetched with :func:`yiyang.core.lookups.get_or_404`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

T = TypeVar("T")


def referenced(field: str, message: Any, get: Callable[..., T], /, **lookup: Any) -> T:
    """``get(**lookup)`` (a scoped selector that raises Http404), or a field error."""
    try:
        return get(**lookup)
    except Http404:
        raise ValidationError({field: message}) from None


# One wording per kind of record, for an id the caller named but may not reach.
OUT_OF_REACH = {
    "division": gettext_lazy("No such division in your jurisdiction."),
    "organisation": gettext_lazy("No such organisation in your jurisdiction."),
    "provider": gettext_lazy("No such provider in your jurisdiction."),
}


def in_reach(kind: str, get: Callable[..., T], /, *, field: str = "", **lookup: Any) -> T:
    """:func:`referenced` for a ``kind`` of record of :data:`OUT_OF_REACH`, with its message;
    the body's field is named after the kind unless ``field`` says otherwise."""
    return referenced(field or kind, OUT_OF_REACH[kind], get, **lookup)


def pop_reference(data: dict[str, Any], kind: str, get: Callable[..., T], /, **lookup: Any) -> T:
    """The record of a ``kind`` of :data:`OUT_OF_REACH` whose external id the checked body
    gives under the field ``kind`` (taken out of ``data``), through the scoped ``get``."""
    return in_reach(kind, get, external_id=data.pop(kind), **lookup)
