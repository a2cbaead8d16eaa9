"""One way to fetch a record by its public id: 404 when it is not there, outside the
caller's scope, or when the id is not even well formed (a malformed UUID in a path is a
404 like any other unknown id, never a 400 or a 500, on every page and API endpoint)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def get_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """``queryset.get(**lookup)``, or Http404 for a missing, out-of-scope or malformed id."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
