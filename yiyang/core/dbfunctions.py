"""Database functions the ORM lacks, written once for PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

from django.db.models import Expression, F, FloatField, Func
from django.db.models.functions import Floor, Round


class Epoch(Func):
    """Seconds since 1970 of a timestamp, in the database (PostgreSQL or SQLite)."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra,
        )


def whole_seconds_between(start: str, end: str) -> Expression:
    """The whole seconds from ``start`` to ``end`` (two timestamp fields), floored. Rounded
    to the millisecond first: SQLite's day fractions are exact to about 0.1 ms only, and an
    answer of exactly 60 s must not come out as 59."""
    return Floor(Round(Epoch(F(end)) - Epoch(F(start)), 3))
