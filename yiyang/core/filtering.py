"""A list narrowed by its FilterSet (convention 5: one FilterSet per list, shared by the
page, the API and the export), decided once for every list selector."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django_filters import FilterSet

M = TypeVar("M", bound=Model)


def filtered(queryset: QuerySet[M], filterset: type[FilterSet], filters: Any) -> QuerySet[M]:
    """``queryset`` narrowed by the ``filters`` parameters (a QueryDict or a mapping) through
    the list's ``filterset``; ``None`` leaves it whole."""
    if filters is None:
        return queryset
    narrowed: QuerySet[M] = filterset(filters, queryset=queryset).qs
    return narrowed
