"""The set-based settlement engine: a month's billable units are staged in a temporary
table by one ``INSERT ... SELECT`` per source, each hold rule is one or two SQL statements
over it (window functions for running totals and overlaps, joins against the registry's
status periods and the certificates), and the lines and holds are written with
``INSERT ... SELECT``. Python only sees the few held units (to write their reasons) and
small lookups (entitlements, status periods, certificates). A city month of a million
visits is a handful of statements, not a million objects.

PostgreSQL and SQLite run the same statements; the few expressions that differ (time
arithmetic, ``GREATEST``, random UUIDs, JSON casts) are methods of :class:`Run`.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection

from yiyang.settlement.choices import LineStatus, SourceKind

Key = tuple[str, int]
Holds = dict[Key, dict[str, dict[str, Any]]]

UNIT = "settle_unit"
HELD = "settle_held"
TERM = "settle_term"
LIMIT = "settle_limit"
SPAN = "settle_span"
TABLES = (UNIT, HELD, TERM, LIMIT, SPAN)
SEQUENCE = "settle_line_number"
NO_ITEM = 0  # a unit without a service item (a meal) is covered by any item of a contract
# A payee unit (a caregiver's subsidy: ``person_id`` set) is covered only by a contract of a
# caregiver-subsidy budget line, whose terms carry this key instead of services.
PAYEE_ITEM = -1
ITEM_KEY = (
    f"COALESCE(u.item_id, CASE WHEN u.person_id IS NULL THEN {NO_ITEM} ELSE {PAYEE_ITEM} END)"
)


class Run:
    """One settlement run's parameters, its SQL dialect and its temporary tables."""

    def __init__(
        self,
        first: datetime.date,
        last: datetime.date,
        provider_ids: Iterable[int],
    ) -> None:
        self.first, self.last = first, last
        self.provider_ids = sorted(provider_ids)
        self.pg = connection.vendor == "postgresql"
        self.holds: Holds = {}
        self.exclusive = False
        self.packages: list[Any] = []  # the package contracts of the run (``packages``)
        self.prefix = secrets.token_hex(8)

    # ---- dialect ---------------------------------------------------------------------

    def plus_minutes(self, start: str, minutes: str) -> str:
        if self.pg:
            return f"({start} + ({minutes}) * INTERVAL '1 minute')"
        return f"datetime({start}, '+' || ({minutes}) || ' minutes')"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.pg else f"MAX({a}, {b})"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"MIN({a}, {b})"

    def minutes_between(self, later: str, earlier: str) -> str:
        if self.pg:
            return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 60)"
        return f"((julianday({later}) - julianday({earlier})) * 1440)"

    def round5(self, column: str) -> str:
        """Degrees to the fifth decimal (about a metre), as a whole number of units."""
        return f"ROUND({column} * 100000)"

    def json(self, expression: str) -> str:
        return f"CAST({expression} AS jsonb)" if self.pg else expression

    @property
    def new_uuid(self) -> str:
        """A new line's public id. On PostgreSQL: a random 64-bit prefix for the run and a
        counter, so a million new ids append to the unique index in order instead of each
        touching a random page of it (and cost a fraction of ``gen_random_uuid()``)."""
        if not self.pg:
            return "lower(hex(randomblob(16)))"
        return f"CAST('{self.prefix}' || lpad(to_hex(nextval('{SEQUENCE}')), 16, '0') AS uuid)"

    @property
    def ts(self) -> str:
        return "timestamp with time zone" if self.pg else "datetime"

    @property
    def money(self) -> str:
        return "numeric(10, 2)" if self.pg else "decimal"

    def date(self, value: datetime.date) -> Any:
        return connection.ops.adapt_datefield_value(value)

    def providers(self, column: str) -> tuple[str, list[int]]:
        """``column IN (...)`` for the run's providers (an always-false test when none)."""
        if not self.provider_ids:
            return "1 = 0", []
        return f"{column} IN ({', '.join(['%s'] * len(self.provider_ids))})", list(
            self.provider_ids
        )

    # ---- statements ------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return int(cursor.rowcount or 0)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return list(cursor.fetchall())

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Many rows into a table: COPY on PostgreSQL, executemany elsewhere."""
        if not rows:
            return
        with connection.cursor() as cursor:
            if self.pg:
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, list(rows))

    def hold(self, key: Key, reason: str, **detail: Any) -> None:
        self.holds.setdefault(key, {}).setdefault(reason, detail)

    # ---- temporary tables ------------------------------------------------------------

    def create_tables(self) -> None:
        if self.pg:
            # The run sorts and hashes a million rows a few times: in memory, not on disk
            # (for this transaction only).
            self.execute("SET LOCAL work_mem = '128MB'")
            # Each statement runs once: compiling it (JIT) costs more than it saves.
            self.execute("SET LOCAL jit = off")
        self.drop_tables()
        temp = "TEMPORARY"
        self.execute(
            f"CREATE {temp} TABLE {UNIT} (kind varchar(16) NOT NULL, source_id bigint NOT NULL, "
            "elder_id bigint NULL, person_id bigint NULL, division_code varchar(12) NOT NULL, "
            "provider_id bigint NOT NULL, item_id bigint NULL, caregiver_id bigint NULL, "
            f"day date NOT NULL, start_at {self.ts} NULL, end_at {self.ts} NULL, "
            f"description varchar(200) NOT NULL, price {self.money} NOT NULL, "
            f"allowance {self.money} NOT NULL, ltc {self.money} NOT NULL, "
            f"self_pay {self.money} NOT NULL, required varchar(40) NOT NULL, "
            "held smallint NOT NULL, line_id bigint NULL)"
        )
        self.execute(
            f"CREATE {temp} TABLE {HELD} (kind varchar(16) NOT NULL, source_id bigint NOT NULL, "
            "reason varchar(24) NOT NULL, detail text NOT NULL)"
        )
        self.execute(
            f"CREATE {temp} TABLE {TERM} (contract_id bigint NOT NULL, statement_id bigint "
            "NOT NULL, provider_id bigint NOT NULL, item_key bigint NOT NULL, code_prefix "
            "varchar(12) NOT NULL, starts_on date NOT NULL, ends_on date NOT NULL, "
            "kind varchar(16) NOT NULL)"
        )
        self.execute(
            f"CREATE {temp} TABLE {LIMIT} (elder_id bigint PRIMARY KEY, limit_fen bigint NOT NULL)"
        )
        self.execute(
            f"CREATE {temp} TABLE {SPAN} (rule varchar(24) NOT NULL, subject bigint NOT NULL, "
            "since date NOT NULL, until date NOT NULL, tag varchar(40) NOT NULL, "
            "detail text NOT NULL)"
        )
        self.execute(f"CREATE INDEX {HELD}_key ON {HELD} (kind, source_id)")
        if self.pg:
            self.execute(f"CREATE TEMPORARY SEQUENCE {SEQUENCE}")
        self.execute(f"CREATE INDEX {TERM}_provider ON {TERM} (provider_id, item_key)")

    def index_units(self) -> None:
        """Indexes the rules' joins need, built once the units are in (and statistics for
        PostgreSQL's planner, which never analyses temporary tables by itself)."""
        self.execute(f"CREATE INDEX {UNIT}_elder ON {UNIT} (elder_id, day)")
        if self.pg:
            self.execute(f"ANALYZE {UNIT}")

    def drop_tables(self) -> None:
        for table in TABLES:
            self.execute(f"DROP TABLE IF EXISTS {table}")
        if self.pg:
            self.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")

    # ---- units from Python collectors ------------------------------------------------

    UNIT_COLUMNS = (
        "kind",
        "source_id",
        "elder_id",
        "division_code",
        "provider_id",
        "item_id",
        "caregiver_id",
        "day",
        "start_at",
        "end_at",
        "description",
        "price",
        "allowance",
        "ltc",
        "self_pay",
        "required",
        "held",
    )

    def add_rows(self, rows: Sequence[Any]) -> None:
        """Rows of a Python source (``rules.SourceRow``), with the holds it judged (and the
        payee of a payee line)."""
        ops = connection.ops
        values = []
        for row in rows:
            values.append(
                (
                    row.kind,
                    row.source_id,
                    row.elder_id,
                    row.division_code,
                    row.provider_id,
                    row.item_id,
                    row.caregiver_id,
                    self.date(row.date),
                    ops.adapt_datetimefield_value(row.start),
                    ops.adapt_datetimefield_value(row.end),
                    row.description[:200],
                    *(
                        ops.adapt_decimalfield_value(v, 10, 2)
                        for v in (row.price, row.allowance, row.ltc, row.self_pay)
                    ),
                    "",
                    0,
                    row.person_id,
                )
            )
            for reason, detail in row.holds.items():
                self.hold((row.kind, row.source_id), reason, **detail)
        self.insert(UNIT, (*self.UNIT_COLUMNS, "person_id"), values)

    def billed(self, kind: str, source_ids: Sequence[int]) -> set[int]:
        """Those of the source ids of ``kind`` already on a line (a unit is billed once,
        whatever the statement)."""
        from yiyang.settlement.models import StatementLine

        found: set[int] = set()
        for i in range(0, len(source_ids), 5000):
            found.update(
                StatementLine.objects.filter(
                    source_kind=kind, source_id__in=source_ids[i : i + 5000]
                ).values_list("source_id", flat=True)
            )
        return found

    # ---- writing ---------------------------------------------------------------------

    def write_holds(self) -> None:
        rows = [
            (kind, source_id, str(reason), json.dumps(detail, sort_keys=True, default=str))
            for (kind, source_id), reasons in self.holds.items()
            for reason, detail in reasons.items()
        ]
        self.insert(HELD, ("kind", "source_id", "reason", "detail"), rows)
        self.execute(
            f"UPDATE {UNIT} SET held = 1 WHERE EXISTS (SELECT 1 FROM {HELD} h "  # noqa: S608
            f"WHERE h.kind = {UNIT}.kind AND h.source_id = {UNIT}.source_id)"
        )

    def write_terms(self, terms: Sequence[tuple[Any, ...]]) -> None:
        self.exclusive = _exclusive(terms)
        self.insert(
            TERM,
            (
                "contract_id",
                "statement_id",
                "provider_id",
                "item_key",
                "code_prefix",
                "starts_on",
                "ends_on",
                "kind",
            ),
            [(*t[:5], self.date(t[5]), self.date(t[6]), t[7]) for t in terms],
        )
        if self.pg:
            self.execute(f"ANALYZE {TERM}")

    def write_lines(self, statement_ids: Sequence[int]) -> tuple[int, int, int]:
        """Each unit under the first (by id) live contract of its provider covering its
        service, area and date, as a line: payable, or held with its reasons. Returns
        (lines, held lines, units with an allowance under no contract)."""
        from yiyang.settlement.models import LineHold, StatementLine

        covers = (
            "{t}.provider_id = u.provider_id AND {t}.item_key = " + ITEM_KEY + " "
            "AND {t}.kind = u.kind "
            "AND u.day >= {t}.starts_on AND u.day <= {t}.ends_on "
            "AND u.division_code LIKE {t}.code_prefix || '%%'"
        )
        lines = StatementLine._meta.db_table
        uncovered = self.fetch(
            f"SELECT COUNT(*) FROM {UNIT} u WHERE u.allowance > 0 AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {TERM} t WHERE {covers.format(t='t')})"
        )[0][0]
        # Where two contracts could cover one unit, the first by id takes it; valid
        # contracts never overlap, so the run usually needs no such test per unit.
        first_only = (
            ""
            if self.exclusive
            else (
                f" WHERE NOT EXISTS (SELECT 1 FROM {TERM} t2 WHERE {covers.format(t='t2')} "  # noqa: S608
                "AND t2.contract_id < t.contract_id)"
            )
        )
        if self.pg:
            return self._write_lines_pg(covers, first_only, int(uncovered))
        written = self.execute(
            f"INSERT INTO {lines} (statement_id, external_id, source_kind, source_id, elder_id, "  # noqa: S608
            f"{LINE_REST}) SELECT t.statement_id, {self.new_uuid}, {UNIT_REST} "
            f"FROM {UNIT} u JOIN {TERM} t ON {covers.format(t='t')}{first_only}",
            [LineStatus.HELD.value, LineStatus.PAYABLE.value],
        )
        if not statement_ids:
            return written, 0, int(uncovered)
        marks = ", ".join(["%s"] * len(statement_ids))
        self.execute(
            f"INSERT INTO {LineHold._meta.db_table} (line_id, reason, detail) "  # noqa: S608
            f"SELECT l.id, h.reason, MIN(h.detail) FROM {HELD} h "
            f"JOIN {lines} l ON l.source_kind = h.kind AND l.source_id = h.source_id "
            f"WHERE l.source_kind <> %s AND l.statement_id IN ({marks}) "
            "GROUP BY l.id, h.reason",
            [SourceKind.ADJUSTMENT.value, *statement_ids],
        )
        held = self.fetch(
            f"SELECT COUNT(*) FROM {lines} WHERE statement_id IN ({marks}) AND status = %s",  # noqa: S608
            [*statement_ids, LineStatus.HELD.value],
        )[0][0]
        return written, int(held), int(uncovered)

    def _write_lines_pg(self, covers: str, first_only: str, uncovered: int) -> tuple[int, int, int]:
        """As above, with the held lines' ids drawn from the lines' sequence first, so their
        holds are written by id from the units (no look-up among a million new lines)."""
        from yiyang.settlement.models import LineHold, StatementLine

        lines = StatementLine._meta.db_table
        sequence = self.fetch("SELECT pg_get_serial_sequence(%s, 'id')", [lines])[0][0]
        held = self.execute(
            f"UPDATE {UNIT} u SET line_id = nextval('{sequence}') WHERE u.held = 1 "  # noqa: S608
            f"AND EXISTS (SELECT 1 FROM {TERM} t WHERE {covers.format(t='t')})"
        )
        written = self.execute(
            f"INSERT INTO {lines} (id, statement_id, external_id, source_kind, source_id, "  # noqa: S608
            f"elder_id, {LINE_REST}) SELECT COALESCE(u.line_id, nextval('{sequence}')), "
            f"t.statement_id, {self.new_uuid}, {UNIT_REST} "
            f"FROM {UNIT} u JOIN {TERM} t ON {covers.format(t='t')}{first_only}",
            [LineStatus.HELD.value, LineStatus.PAYABLE.value],
        )
        self.execute(
            f"INSERT INTO {LineHold._meta.db_table} (line_id, reason, detail) "  # noqa: S608
            f"SELECT u.line_id, h.reason, CAST(MIN(h.detail) AS jsonb) FROM {HELD} h "
            f"JOIN {UNIT} u ON u.kind = h.kind AND u.source_id = h.source_id "
            "WHERE u.line_id IS NOT NULL GROUP BY u.line_id, h.reason"
        )
        return written, held, uncovered


LINE_REST = (
    "person_id, division_code, caregiver_id, item_id, date, description, price_yuan, "
    "allowance_yuan, ltc_yuan, self_pay_yuan, payable_yuan, status, adjusts_id, dispute_reason"
)
UNIT_REST = (
    "u.kind, u.source_id, u.elder_id, u.person_id, u.division_code, u.caregiver_id, "
    "u.item_id, u.day, u.description, u.price, u.allowance, u.ltc, u.self_pay, "
    "CASE WHEN u.held = 1 THEN 0 ELSE u.allowance END, "
    "CASE WHEN u.held = 1 THEN %s ELSE %s END, NULL, ''"
)


def _exclusive(terms: Sequence[tuple[Any, ...]]) -> bool:
    """Whether no unit can fall under two terms: no two of one provider, service and kind
    of unit overlap in time and area (one area inside the other)."""
    groups: dict[tuple[Any, Any, Any], list[tuple[Any, ...]]] = {}
    for term in terms:
        groups.setdefault((term[2], term[3], term[7]), []).append(term)
    for group in groups.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                nested = a[4].startswith(b[4]) or b[4].startswith(a[4])
                if nested and a[5] <= b[6] and b[5] <= a[6]:
                    return False
    return True


# ---- values read back by raw SQL (SQLite answers text and floats) -----------------------


def as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> datetime.datetime | None:
    """An aware datetime (SQLite keeps UTC without the zone)."""
    if value is None:
        return None
    parsed = (
        value
        if isinstance(value, datetime.datetime)
        else (datetime.datetime.fromisoformat(str(value)))
    )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def yuan_of_fen(fen: int) -> Decimal:
    return Decimal(int(fen)).scaleb(-2)
