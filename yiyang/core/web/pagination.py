"""Paging for lists that can match a large part of a city."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property


class ListPaginator(Paginator):
    """Deep pages by a deferred join: past the first ``deferred_after`` rows, the page's
    keys are read first (``OFFSET`` over an index holding the list's order and filter
    columns can skip rows without reading them from the table), then only the page's rows.
    A plain ``OFFSET`` reads every skipped row from the table (10,000 rows for page 200)."""

    deferred_after = 500

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows: Any = self.object_list
        if bottom < self.deferred_after or not hasattr(rows, "values_list"):
            return Page(rows[bottom:top], number, self)
        keys = list(rows.values_list("pk", flat=True)[bottom:top])
        found = rows.order_by().in_bulk(keys)
        return Page([found[k] for k in keys if k in found], number, self)


class CappedPaginator(ListPaginator):
    """Counts at most ``cap`` matches: a text search over a city's registry can match tens
    of thousands of records on pages scattered all over the table, and counting every one
    of them costs more than showing the first page. Past the cap the list says "more than
    ``cap``" and pages up to it; a narrower search shows the rest."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int = 1000, **kwargs: Any):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def found(self) -> int:
        """Matches counted, at most ``cap`` + 1 (one query, stopping there). Unordered: with
        its ORDER BY the database would walk the list order until ``cap`` + 1 matches."""
        rows: Any = self.object_list  # a QuerySet
        return int(rows.order_by()[: self.cap + 1].count())

    @cached_property
    def count(self) -> int:
        return min(self.found, self.cap)

    @property
    def capped(self) -> bool:
        return self.found > self.cap
