"""Device ingestion, the hot path: parse, validate, de-duplicate and store a batch of device
messages, then update each device's state once.

Written for throughput (issue 6: 100,000 devices, 5,000 messages a second on two cores):

- payloads are parsed with orjson and decoded by the vendor's registered decoder into plain
  records (:class:`Accepted`), never model instances;
- the batch's devices are read in one query, as tuples;
- duplicates are dropped in memory per batch, then by the database's unique constraint on
  (device, msg_id): on PostgreSQL the events are ``COPY``-ed into a temporary staging table
  and moved with one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``; elsewhere
  (SQLite in the tests and the demo) one multi-row ``INSERT ... ON CONFLICT DO NOTHING
  RETURNING`` per 500 events;
- each device's state (last seen, battery, motion, door, location) is written once per batch
  with its latest values: on PostgreSQL ``COPY`` plus one ``UPDATE ... FROM`` (rows found by
  primary key and locked in id order, so concurrent gateways never deadlock), elsewhere one
  prepared UPDATE per device.

The caller owns the transaction: the alerts app's :func:`device_messages_ingest` runs this,
the rules and :func:`device_state_write` in one, and the gateway acknowledges only after it
committed.

The path is split by step; this package re-exports the public names, so callers import
``yiyang.devices.ingest`` as before.
"""

from yiyang.devices.ingest.events import (
    GENERIC_CHUNK,
    events_insert,
)
from yiyang.devices.ingest.records import (
    Accepted,
    DeviceRef,
    DeviceState,
    Inbound,
    Outcome,
    Refused,
    Stored,
)
from yiyang.devices.ingest.rejections import (
    REJECTION_WINDOW,
    count_rejections,
    raw_bytes,
    seal_raw,
)
from yiyang.devices.ingest.state import (
    device_state,
    device_state_write,
)
from yiyang.devices.ingest.store import (
    FLOOD_GATE,
    messages_store,
)

__all__ = [
    "FLOOD_GATE",
    "GENERIC_CHUNK",
    "REJECTION_WINDOW",
    "Accepted",
    "DeviceRef",
    "DeviceState",
    "Inbound",
    "Outcome",
    "Refused",
    "Stored",
    "count_rejections",
    "device_state",
    "device_state_write",
    "events_insert",
    "messages_store",
    "raw_bytes",
    "seal_raw",
]
