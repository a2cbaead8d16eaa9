"""Inserting many new rows fast, for bulk paths (spreadsheet imports, demo data).

``QuerySet.bulk_create`` compiles SQL value by value (about 5 µs a value in Django 5.2: a
100,000-row elder import spent a third of its time there). :func:`bulk_insert` writes the
same rows with one statement (``executemany``; on PostgreSQL ``COPY`` unless conflicts are to
be ignored), preparing only the values whose Python form is not already what the database
driver takes (dates, UUIDs, decimals, JSON).
Like ``bulk_create`` it fills ``auto_now``/``auto_now_add`` timestamps (one instant for the
whole batch) and foreign keys from related objects saved since, and sends no signals.
:func:`insert_rows` writes plain rows (tuples of values) without building model instances at
all: building one costs more than writing it (history events, index entries).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, cast

from django.db import connections, models
from django.db.models.constants import OnConflict

# Field types whose values pass to the driver as they are when they are str, int, bool or
# None (checked with type(), so str subclasses such as choices enums and lazy translations
# still take the field's own preparation, exactly as bulk_create would give them).
_PLAIN_TYPES = frozenset(
    {
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "BooleanField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
    }
)
_PLAIN_VALUES = frozenset({str, int, bool, type(None)})

Field = models.Field[Any, Any]
_M = TypeVar("_M", bound=models.Model)


def _is_plain(field: Field) -> bool:
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    # An encrypted field stores text but must still encrypt: never passed as it is.
    return target.get_internal_type() in _PLAIN_TYPES and not getattr(target, "encrypted", False)


def _passes_aware(field: Field, connection: Any) -> bool:
    """A DateTimeField on PostgreSQL: an aware datetime is what the driver takes, and what
    Django's preparation (a settings lookup and checks per value) would return unchanged."""
    return (
        connection.vendor == "postgresql"
        and field.get_internal_type() == "DateTimeField"
        and not getattr(field, "encrypted", False)
    )


def _stamped(field: Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def bulk_insert(
    objs: Sequence[models.Model],
    *,
    ignore_conflicts: bool = False,
    set_pks: bool = False,
    using: str = "default",
) -> None:
    """INSERT ``objs`` (new instances of one model, without primary keys). With ``set_pks``
    the new primary keys are read back by ``external_id`` (which must be unique) and set on
    the objects, so that other rows can point at them."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    connection = connections[using]
    # The fields bulk_create writes for objects without a primary key (AutoField covers
    # the big and small auto fields too).
    fields = [
        f for f in opts.concrete_fields if not f.generated and not isinstance(f, models.AutoField)
    ]
    # Timestamps: one instant for the batch, prepared once.
    stamps = {f.attname: f.pre_save(objs[0], True) for f in fields if _stamped(f)}
    constant = {
        f.attname: f.get_db_prep_save(stamps[f.attname], connection)
        for f in fields
        if f.attname in stamps
    }
    columns = [(f.attname, f, _is_plain(f), _passes_aware(f, connection)) for f in fields]
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
        values = obj.__dict__
        values.update(stamps)
        row = []
        for attname, field, plain, aware in columns:
            value = values[attname]
            if attname in constant:
                row.append(constant[attname])
            elif (plain and type(value) in _PLAIN_VALUES) or (
                aware and type(value) is datetime.datetime and value.tzinfo is not None
            ):
                row.append(value)
            else:
                row.append(field.get_db_prep_save(value, connection))
        rows.append(row)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and ignore_conflicts and set_pks:
            # COPY and one INSERT ... SELECT returning the keys it wrote: a storm's alerts
            # cost a few statements a batch, not one a row plus a read-back.
            _insert_returning(cursor, connection, model, fields, rows, objs)
        else:
            _execute(cursor, connection, model, fields, rows, ignore_conflicts)
            if set_pks:
                _read_back_pks(cursor, model, objs, connection)
        for obj in objs:
            obj._state.adding = False
            obj._state.db = using


def partial_instance(model: type[_M], values: dict[str, Any]) -> _M:
    """An instance of ``model`` as if loaded with ``only(*values)``, without a query: the
    given attributes set, every other field deferred (read on access, never silently
    blank). For bulk paths that already hold the few columns they need."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db("default", names, [values[name] for name in names])


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    using: str = "default",
) -> int:
    """INSERT plain rows of ``model``, each the values of ``fields`` (attribute names, so
    ``elder_id`` for a foreign key) in that order. The model's other fields take their
    defaults (a callable default is called for every row, e.g. a new UUID), timestamps
    one instant for the batch. Values are prepared as :func:`bulk_insert` prepares them.
    Returns the number of rows given."""
    opts = model._meta
    connection = connections[using]
    writable = [
        f for f in opts.concrete_fields if not f.generated and not isinstance(f, models.AutoField)
    ]
    by_name = {f.attname: f for f in writable}
    given = [
        (by_name[name], _is_plain(by_name[name]), _passes_aware(by_name[name], connection))
        for name in fields
    ]
    others = [f for f in writable if f.attname not in set(fields)]
    sample = model()  # for the timestamps' pre_save, as bulk_insert uses its first object
    constant: list[Any] = []
    per_row: list[tuple[int, Field]] = []
    for field in others:
        if _stamped(field):
            constant.append(field.get_db_prep_save(field.pre_save(sample, True), connection))
        elif callable(field.default):
            per_row.append((len(constant), field))
            constant.append(None)
        else:
            constant.append(field.get_db_prep_save(field.get_default(), connection))
    prepared = []
    for row in rows:
        values = [
            value
            if (plain and type(value) in _PLAIN_VALUES)
            or (aware and type(value) is datetime.datetime and value.tzinfo is not None)
            else field.get_db_prep_save(value, connection)
            for (field, plain, aware), value in zip(given, row, strict=True)
        ]
        rest = list(constant)
        for index, field in per_row:
            rest[index] = field.get_db_prep_save(field.get_default(), connection)
        prepared.append(values + rest)
    if prepared:
        with connection.cursor() as cursor:
            _execute(
                cursor,
                connection,
                model,
                [f for f, _, _ in given] + others,
                prepared,
                ignore_conflicts,
            )
    return len(prepared)


def update_rows(
    objs: Sequence[models.Model], fields: Sequence[str], *, using: str = "default"
) -> int:
    """UPDATE ``fields`` (names) of saved ``objs`` (of one model) to the objects' values, one
    statement run for all rows (``executemany``). ``QuerySet.bulk_update`` builds a CASE
    expression per field and row, which costs about a millisecond a row and field.
    Values are prepared as the fields prepare them (encryption included); ``auto_now``
    timestamps are not stamped: the objects carry their own. Returns the number of rows."""
    if not objs:
        return 0
    opts = type(objs[0])._meta
    connection = connections[using]
    by_name = {f.name: f for f in opts.concrete_fields}
    # Each field once (a caller may name a field twice; PostgreSQL refuses a column
    # assigned twice in one SET, SQLite takes the last).
    targets = [by_name[name] for name in dict.fromkeys(fields)]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in targets)
    table, key = quote(opts.db_table), quote(cast(str, opts.pk.column))
    # Names quoted from the model's own metadata; the values are parameters.
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in targets] + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def _execute(
    cursor: Any,
    connection: Any,
    model: type[models.Model],
    fields: Sequence[Field],
    rows: list[list[Any]],
    ignore_conflicts: bool,
) -> None:
    quote = connection.ops.quote_name
    raw = getattr(cursor, "cursor", cursor)
    if connection.vendor == "postgresql" and not ignore_conflicts and hasattr(raw, "copy"):
        # COPY: the server parses no statement per row (half its work for an elder row).
        with raw.copy(
            "COPY {table} ({columns}) FROM STDIN".format(
                table=quote(model._meta.db_table),
                columns=", ".join(quote(f.column) for f in fields),
            )
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    sql = "{insert} {table} ({columns}) VALUES ({values}) {suffix}".format(
        insert=connection.ops.insert_statement(on_conflict=on_conflict),
        table=quote(model._meta.db_table),
        columns=", ".join(quote(f.column) for f in fields),
        values=", ".join(["%s"] * len(fields)),
        suffix=connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None) or "",
    ).strip()
    # One statement for every row: SQLite prepares it once; psycopg pipelines the rows.
    cursor.executemany(sql, rows)


def _insert_returning(
    cursor: Any,
    connection: Any,
    model: type[models.Model],
    fields: Sequence[Field],
    rows: list[list[Any]],
    objs: Sequence[Any],
) -> None:
    """PostgreSQL: the rows are COPied into a session-private staging table, then one
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` moves them and returns the
    external id and the primary key of each row written. A VALUES list or per-row
    statements would cost the server more to parse than to insert (a storm's 500 alerts
    are 12,500 parameters). The objects whose row a conflict skipped keep no primary key."""
    opts = model._meta
    external_id = cast(Field, opts.get_field("external_id"))
    by_key = {external_id.get_db_prep_value(obj.external_id, connection): obj for obj in objs}
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    staging = quote(f"staging_{opts.db_table}"[:63])
    columns = ", ".join(quote(f.column) for f in fields)
    # Identifiers of our own model only; no value is formatted into these statements.
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS "  # noqa: S608
        f"SELECT {columns} FROM {table} WITH NO DATA"
    )
    # Empty whatever an earlier call outside a transaction may have left behind.
    cursor.execute(f"TRUNCATE {staging}")
    raw = getattr(cursor, "cursor", cursor)
    with raw.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {quote(external_id.column)}, {quote(opts.pk.column)}"
    )
    written = cursor.fetchall()
    cursor.execute(f"TRUNCATE {staging}")
    for key, pk in written:
        by_key[key].pk = pk


def _read_back_pks(
    cursor: Any, model: type[models.Model], objs: Sequence[Any], connection: Any
) -> None:
    """Set the new primary keys, found by the objects' unique ``external_id``. Raw SQL: the
    ORM's IN lookup prepares a thousand UUIDs one by one, slower than the insert itself."""
    opts = model._meta
    external_id = cast(Field, opts.get_field("external_id"))
    by_key = {external_id.get_db_prep_value(obj.external_id, connection): obj for obj in objs}
    quote = connection.ops.quote_name
    keys = list(by_key)
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        cursor.execute(
            # Quoted identifiers of our own model; the values are bound parameters.
            "SELECT {column}, {pk} FROM {table} WHERE {column} IN ({values})".format(  # noqa: S608
                column=quote(external_id.column),
                pk=quote(opts.pk.column),
                table=quote(opts.db_table),
                values=", ".join(["%s"] * len(batch)),
            ),
            batch,
        )
        for key, pk in cursor.fetchall():
            by_key[key].pk = pk
