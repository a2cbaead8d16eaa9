"""The two figures most indicators are: how many records (or how much of a column) per
division, and what share of one set of records another set is. Records carry the code of
their division in a column (``division_code`` unless told otherwise); the helpers group by
it once and roll the groups up into every division asked for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from yiyang.core.indicators import IndicatorValue, count_by_code, counts, ratios, sum_by_code
from yiyang.core.models import Division

Values = dict[int, IndicatorValue]


def count_each(
    divisions: Sequence[Division], queryset: Any, *, code_field: str = "division_code"
) -> Values:
    """The number of the queryset's records under each division."""
    return counts(divisions, count_by_code(queryset, code_field, divisions))


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
