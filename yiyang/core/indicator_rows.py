"""The rows indicators are computed from: how much of a column records add up to per
division, what share of one set of records another set is, the divisions of one level
(communities, streets) under the divisions asked for, census residents, and the share of
those divisions a facility covers. Records carry the code of their division in a column
(``division_code`` unless told otherwise); the helpers group by it once and roll the groups
up into every division asked for. ``indicator_figures`` declares whole indicators with
them."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any

from django.db import models
from django.db.models import Q

from yiyang.core.choices import DivisionLevel
from yiyang.core.indicators import (
    IndicatorValue,
    count_by_code,
    counts,
    ratios,
    scope_q,
    sum_by_code,
)
from yiyang.core.models import Division

Values = dict[int, IndicatorValue]


def sum_each(
    divisions: Sequence[Division],
    queryset: Any,
    expression: Any,
    *,
    code_field: str = "division_code",
) -> Values:
    """The sum of ``expression`` over the queryset's records under each division."""
    return counts(divisions, sum_by_code(queryset, code_field, divisions, expression))


def count_share(
    divisions: Sequence[Division],
    numerator: Any,
    denominator: Any,
    *,
    code_field: str = "division_code",
    denominator_code_field: str | None = None,
) -> Values:
    """The records of ``numerator`` as a share of those of ``denominator``, per division."""
    return ratios(
        divisions,
        count_by_code(numerator, code_field, divisions),
        count_by_code(denominator, denominator_code_field or code_field, divisions),
    )


def sum_share(
    divisions: Sequence[Division],
    queryset: Any,
    numerator: Any,
    denominator: Any,
    *,
    code_field: str = "division_code",
) -> Values:
    """The sum of one expression as a share of the sum of another over the same records."""
    return ratios(
        divisions,
        sum_by_code(queryset, code_field, divisions, numerator),
        sum_by_code(queryset, code_field, divisions, denominator),
    )


def division_codes(divisions: Sequence[Division], level: str, **filters: Any) -> list[str]:
    """The codes of the divisions of one ``level`` (communities, streets) under the
    divisions, e.g. every community a coverage figure divides by."""
    under = Division.objects.filter(scope_q("code", divisions), level=level, **filters)
    return list(under.values_list("code", flat=True))


def census(divisions: Sequence[Division], field: str) -> dict[str, int]:
    """Census residents (the communities' ``population_*`` column ``field``) per community
    code under the divisions; the figures are kept on communities only."""
    rows = Division.objects.filter(
        scope_q("code", divisions), level=DivisionLevel.COMMUNITY
    ).values_list("code", field)
    return {code: n for code, n in rows if n}


def covered_share(
    divisions: Sequence[Division], codes: Iterable[str], covered: Container[str]
) -> Values:
    """Of the divisions ``codes`` (communities, streets), those ``covered`` as a share of all
    of them, rolled up into each division."""
    codes = list(codes)
    return ratios(
        divisions, {code: 1 for code in codes if code in covered}, dict.fromkeys(codes, 1)
    )


def count_columns(
    queryset: Any, group_field: str, conditions: Mapping[str, Q | None]
) -> dict[str, dict[Any, int]]:
    """How many of the queryset's records meet each named condition (every record where it
    is None or empty), per value of ``group_field`` (a division code, a provider): one
    grouped query with a column per condition, for a family of indicators to share.
    Values with none meeting a condition are left out of its column."""
    names = list(conditions)
    columns = {
        f"n{i}": models.Count("pk", filter=conditions[name] or None) for i, name in enumerate(names)
    }
    rows = queryset.order_by().values(group_field).annotate(**columns)
    found: dict[str, dict[Any, int]] = {name: {} for name in names}
    for row in rows:
        for name, column in zip(names, columns, strict=True):
            if row[column]:
                found[name][row[group_field]] = row[column]
    return found
