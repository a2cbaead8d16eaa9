"""Each device's state (last seen, battery, motion, door, location), written once per
batch with its latest values."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection

from yiyang.devices.choices import EventType
from yiyang.devices.ingest.records import Accepted, DeviceState
from yiyang.devices.models import Device


def device_state(events: list[Accepted], now: datetime.datetime) -> list[DeviceState]:
    """Each device's latest values in the batch (events applied in order of time)."""
    by_device: dict[int, list[Accepted]] = defaultdict(list)
    for event in events:
        by_device[event.device.pk].append(event)
    states = []
    for pk, batch in by_device.items():
        state = DeviceState(pk=pk, seen=now)
        if len(batch) > 1:
            batch.sort(key=lambda e: e.occurred_at)
        for event in batch:
            data, kind = event.data, event.type
            if "battery" in data:
                state.battery = int(data["battery"])
            if kind == EventType.MOTION or (kind == EventType.BED and data.get("present") is False):
                if state.motion is None or event.occurred_at > state.motion:
                    state.motion = event.occurred_at
            elif kind == EventType.DOOR:
                if data["open"]:
                    if state.door in (0, 1):
                        state.door, state.door_at = (2 if state.door == 0 else 3), event.occurred_at
                else:
                    state.door, state.door_at = 1, None
            if data.get("lat") is not None:
                state.lat, state.lng = round(data["lat"], 6), round(data["lng"], 6)
        states.append(state)
    return states


_STATE_STAGE = "yiyang_state_stage"


def device_state_write(states: list[DeviceState]) -> None:
    """Write the devices' state, one row each. Called last in the transaction: device rows
    stay locked only until it commits."""
    if not states:
        return
    states = sorted(states, key=lambda s: s.pk)
    if connection.vendor == "postgresql":
        _state_write_postgresql(states)
    else:
        _state_write_generic(states)


def _state_write_postgresql(states: list[DeviceState]) -> None:
    table = connection.ops.quote_name(Device._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STATE_STAGE} (id bigint, seen timestamptz, "
            "battery smallint, motion timestamptz, door smallint, door_at timestamptz, "
            "lat numeric(9, 6), lng numeric(9, 6)) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(
            f"COPY {_STATE_STAGE} (id, seen, battery, motion, door, door_at, lat, lng) FROM STDIN"
        ) as copy:
            write = copy.write_row
            for s in states:
                write((s.pk, s.seen, s.battery, s.motion, s.door, s.door_at, s.lat, s.lng))
        # A nested loop over the staged rows in id order: each device row is found by its
        # primary key (the planner, knowing nothing of a temporary table, would hash the whole
        # device table) and locked in id order, so that two gateways updating overlapping
        # devices never deadlock.
        cursor.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
        cursor.execute(
            f"UPDATE {table} AS d SET "  # noqa: S608
            "last_seen_at = GREATEST(d.last_seen_at, v.seen), "
            "battery_percent = COALESCE(v.battery, d.battery_percent), "
            "last_motion_at = GREATEST(d.last_motion_at, v.motion), "
            "door_open_since = CASE v.door WHEN 1 THEN NULL "
            "WHEN 2 THEN COALESCE(d.door_open_since, v.door_at) WHEN 3 THEN v.door_at "
            "ELSE d.door_open_since END, "
            "last_lat = COALESCE(v.lat, d.last_lat), last_lng = COALESCE(v.lng, d.last_lng) "
            f"FROM (SELECT * FROM {_STATE_STAGE} ORDER BY id) AS v WHERE d.id = v.id"
        )
        cursor.execute("RESET enable_hashjoin; RESET enable_mergejoin")
        cursor.execute(f"DELETE FROM {_STATE_STAGE}")  # noqa: S608


def _state_write_generic(states: list[DeviceState]) -> None:
    ops = connection.ops
    table = ops.quote_name(Device._meta.db_table)
    sql = (
        f"UPDATE {table} SET "  # noqa: S608
        "last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < %s THEN %s "
        "ELSE last_seen_at END, "
        "battery_percent = COALESCE(%s, battery_percent), "
        "last_motion_at = CASE WHEN %s IS NULL THEN last_motion_at "
        "WHEN last_motion_at IS NULL OR last_motion_at < %s THEN %s ELSE last_motion_at END, "
        "door_open_since = CASE %s WHEN 1 THEN NULL WHEN 2 THEN COALESCE(door_open_since, %s) "
        "WHEN 3 THEN %s ELSE door_open_since END, "
        "last_lat = COALESCE(%s, last_lat), last_lng = COALESCE(%s, last_lng) WHERE id = %s"
    )
    rows = []
    for s in states:
        seen = ops.adapt_datetimefield_value(s.seen)
        motion = ops.adapt_datetimefield_value(s.motion)
        door_at = ops.adapt_datetimefield_value(s.door_at)
        lat = ops.adapt_decimalfield_value(_decimal(s.lat), 9, 6)
        lng = ops.adapt_decimalfield_value(_decimal(s.lng), 9, 6)
        rows.append(
            (
                seen,
                seen,
                s.battery,
                motion,
                motion,
                motion,
                s.door,
                door_at,
                door_at,
                lat,
                lng,
                s.pk,
            )
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))
