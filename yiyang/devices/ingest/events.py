"""Inserting a batch's events, skipping those stored before: ``COPY`` and one
``INSERT ... SELECT ... ON CONFLICT`` on PostgreSQL, multi-row inserts elsewhere."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence

import orjson
from django.db import connection

from yiyang.devices.decoders import Reading
from yiyang.devices.ingest.records import DeviceRef, Inbound
from yiyang.devices.models import DeviceEvent, event_data_stored

# SQLite allows 32,766 parameters a statement: 8 columns x 500 rows stays far below.
GENERIC_CHUNK = 500


_EVENT_COLUMNS = (
    "device_id",
    "msg_id",
    "type",
    "occurred_at",
    "received_at",
    "via",
    "data",
    "elder_id",
)


_STAGE = "yiyang_event_stage"


def events_insert(
    candidates: dict[tuple[int, str], tuple[int, Reading, DeviceRef]],
    now: datetime.datetime,
    messages: Sequence[Inbound],
) -> set[tuple[int, str]]:
    """Insert the batch's events, skipping those stored before (the unique constraint on
    (device, msg_id) decides, also against another gateway storing the same message just
    now). Returns the (device pk, msg_id) pairs inserted."""
    if not candidates:
        return set()
    if connection.vendor == "postgresql":
        return _insert_events_postgresql(candidates, now, messages)
    return _insert_events_generic(candidates, now, messages)


def _insert_events_postgresql(
    candidates: dict[tuple[int, str], tuple[int, Reading, DeviceRef]],
    now: datetime.datetime,
    messages: Sequence[Inbound],
) -> set[tuple[int, str]]:
    table = connection.ops.quote_name(DeviceEvent._meta.db_table)
    columns = ", ".join(_EVENT_COLUMNS)
    dumps = orjson.dumps
    with connection.cursor() as cursor:
        # A temporary table lives as long as the connection; ON COMMIT DELETE ROWS empties
        # it without catalogue churn or WAL.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (device_id bigint, "
            "msg_id varchar(64), type varchar(16), occurred_at timestamptz, "
            "received_at timestamptz, via varchar(8), data jsonb, elder_id bigint) "
            "ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for (pk, msg_id), (i, reading, device) in candidates.items():
                data = dumps(event_data_stored(reading.data)).decode()
                write(
                    (
                        pk,
                        msg_id,
                        reading.type,
                        reading.occurred_at,
                        now,
                        messages[i].via,
                        data,
                        device.elder_id,
                    )
                )
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_STAGE} "  # noqa: S608
            "ON CONFLICT (device_id, msg_id) DO NOTHING RETURNING device_id, msg_id"
        )
        inserted = set(cursor.fetchall())
        # Several batches in one transaction (tests, the demo) must not see each other's.
        cursor.execute(f"DELETE FROM {_STAGE}")  # noqa: S608
    return inserted


def _insert_events_generic(
    candidates: dict[tuple[int, str], tuple[int, Reading, DeviceRef]],
    now: datetime.datetime,
    messages: Sequence[Inbound],
) -> set[tuple[int, str]]:
    ops = connection.ops
    table = ops.quote_name(DeviceEvent._meta.db_table)
    received = ops.adapt_datetimefield_value(now)
    rows = [
        (
            pk,
            msg_id,
            reading.type,
            ops.adapt_datetimefield_value(reading.occurred_at),
            received,
            messages[i].via,
            json.dumps(event_data_stored(reading.data)),
            device.elder_id,
        )
        for (pk, msg_id), (i, reading, device) in candidates.items()
    ]
    inserted: set[tuple[int, str]] = set()
    one = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), GENERIC_CHUNK):
            chunk = rows[start : start + GENERIC_CHUNK]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(_EVENT_COLUMNS)}) "  # noqa: S608
                f"VALUES {', '.join([one] * len(chunk))} "
                "ON CONFLICT (device_id, msg_id) DO NOTHING RETURNING device_id, msg_id",
                [value for row in chunk for value in row],
            )
            inserted.update((pk, msg_id) for pk, msg_id in cursor.fetchall())
    return inserted
