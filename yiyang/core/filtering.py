"""A list narrowed by its FilterSet (convention 5: one FilterSet per list, shared by the
page, the API and the export), decided once for every list selector; and the plain
narrowing of the lists whose few parameters each name one lookup."""

from __future__ import annotations

from collections.abc import Mapping
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


def narrowed(
    queryset: QuerySet[M], filters: Mapping[str, Any] | None, lookups: Mapping[str, str]
) -> QuerySet[M]:
    """``queryset`` narrowed by each parameter of ``lookups`` that ``filters`` gives (a
    blank or missing one leaves the list whole), through that parameter's field lookup:
    ``{"status": "status", "q": "name__icontains"}``."""
    filters = filters or {}
    for name, lookup in lookups.items():
        if filters.get(name):
            queryset = queryset.filter(**{lookup: filters[name]})
    return queryset
