"""Indicators declared rather than written. Most figures are one of four computations over
the records of a period, each a ``compute`` to hand to :func:`~yiyang.core.indicators.indicator`:

- :class:`CountOf`: how many records (or distinct people among them) per division;
- :class:`SumOf`: what a column of the records adds up to per division;
- :class:`ShareOf`: the records meeting a condition as a share of all of them;
- :class:`SumShareOf`: one column's sum as a share of another's over the same records.

``records`` is a function of the period giving the queryset (the month's complaints, the
institutions active at its end…); the records carry their division's code in
``code_field``. A :class:`CountOf` or :class:`ShareOf` given a ``provider_field`` (the record's
provider key) also answers per provider: :func:`~yiyang.core.indicators.indicator`
registers that provider form with the indicator.

    indicator(code="complaints_received", unit="count", ...)(CountOf(complaints))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q, QuerySet

from yiyang.core.indicator_rows import Values, count_share, sum_each, sum_share
from yiyang.core.indicators import (
    Period,
    ProviderCompute,
    count_by_code,
    count_values,
    counts,
    ratio_values,
)

if TYPE_CHECKING:
    from yiyang.core.models import Division

Records = Callable[[Period], QuerySet[Any]]
# Which of the records count in a share's numerator: a fixed filter, or one that depends on
# the period (answered by its end, within a limit read from the settings when computed).
Condition = Q | Callable[[Period], Any]


def condition_for(condition: Condition, period: Period) -> Any:
    return condition if isinstance(condition, Q) else condition(period)


def provider_counts(
    queryset: QuerySet[Any], provider_field: str, keys: Sequence[int], distinct: str | None = None
) -> dict[int, int]:
    """``{provider pk: number of records}`` (or of distinct values of ``distinct``)."""
    rows = (
        queryset.filter(**{f"{provider_field}__in": keys})
        .order_by()
        .values_list(provider_field)
        .annotate(n=models.Count(distinct or "pk", distinct=distinct is not None))
    )
    return dict(rows)


class _ProviderForm:
    """What the figures over records that may name their provider share: the same figure
    per provider (the indicator's provider form), when ``provider_field`` names it."""

    provider_field: str | None

    @property
    def provider_form(self) -> ProviderCompute | None:
        field = self.provider_field
        if field is None:
            return None

        def compute(period: Period, providers: Sequence[Any]) -> Values:
            return self.per_provider(period, [p.pk for p in providers], field)

        return compute

    def per_provider(self, period: Period, keys: list[int], field: str) -> Values:
        raise NotImplementedError


@dataclass(frozen=True)
class CountOf(_ProviderForm):
    """How many records per division; with ``distinct``, how many distinct values of that
    field (the people served, not the meals; the visits, not their flags)."""

    records: Records
    code_field: str = "division_code"
    distinct: str | None = None
    provider_field: str | None = None

    def __call__(self, period: Period, divisions: Sequence[Division]) -> Values:
        queryset = self.records(period)
        return counts(divisions, count_by_code(queryset, self.code_field, divisions, self.distinct))

    def per_provider(self, period: Period, keys: list[int], field: str) -> Values:
        return count_values(keys, provider_counts(self.records(period), field, keys, self.distinct))


@dataclass(frozen=True)
class SumOf:
    """What ``expression`` (a column or an expression over columns) adds up to per division."""

    records: Records
    expression: Any
    code_field: str = "division_code"

    def __call__(self, period: Period, divisions: Sequence[Division]) -> Values:
        return sum_each(
            divisions, self.records(period), self.expression, code_field=self.code_field
        )


@dataclass(frozen=True)
class ShareOf(_ProviderForm):
    """The records meeting ``numerator`` (the numerator) as a share of all of them (the
    denominator), per division."""

    records: Records
    numerator: Condition
    code_field: str = "division_code"
    provider_field: str | None = None

    def meeting_and_all(self, period: Period) -> tuple[QuerySet[Any], QuerySet[Any]]:
        everything = self.records(period)
        # Through the keys: a condition across a to-many relation (a caregiver's
        # certificates) must count each record once, not once per related row.
        meeting = everything.model._default_manager.filter(
            pk__in=everything.filter(condition_for(self.numerator, period)).values("pk")
        )
        return meeting, everything

    def __call__(self, period: Period, divisions: Sequence[Division]) -> Values:
        meeting, everything = self.meeting_and_all(period)
        return count_share(divisions, meeting, everything, code_field=self.code_field)

    def per_provider(self, period: Period, keys: list[int], field: str) -> Values:
        meeting, everything = self.meeting_and_all(period)
        return ratio_values(
            keys, provider_counts(meeting, field, keys), provider_counts(everything, field, keys)
        )


@dataclass(frozen=True)
class SumShareOf:
    """The sum of ``numerator`` as a share of the sum of ``denominator`` over the same
    records (occupied beds of all beds, points given of points possible)."""

    records: Records
    numerator: Any
    denominator: Any
    code_field: str = "division_code"

    def __call__(self, period: Period, divisions: Sequence[Division]) -> Values:
        return sum_share(
            divisions,
            self.records(period),
            self.numerator,
            self.denominator,
            code_field=self.code_field,
        )
