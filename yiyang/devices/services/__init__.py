"""The devices app owns the device registry (kinds, vendors, bindings to elders and homes,
with history) and the storing of what devices send: parsing, validating through the vendor's
registered decoder, de-duplicating by the vendor's message id, storing every accepted event
durably, updating the device's state (last seen, battery, motion, door, location) and counting
every rejection by device and reason.

Ingestion is a batch operation: one transaction writes a whole batch of messages (telemetry
never costs a transaction each). The alerts app wraps :func:`device_messages_store` in the
same transaction as its rules, so an event is stored and its alert raised together, and the
MQTT gateway or the HTTP callback acknowledges only after that transaction commits.

The services are split by workflow (Zulip's ``actions/``); this package re-exports the
public ones, so callers import ``yiyang.devices.services`` as before.
"""

from yiyang.devices.services.bindings import (
    UNBINDABLE_ELDER_STATUSES,
    device_bind,
    device_rebind,
    device_unbind,
)
from yiyang.devices.services.callbacks import (
    callback_signature,
    callback_verify,
)
from yiyang.devices.services.gateway import gateway_beat
from yiyang.devices.services.ingestion import (
    FLOOD_GATE,
    REJECTION_WINDOW,
    Accepted,
    DeviceRef,
    DeviceState,
    Inbound,
    Outcome,
    Stored,
    device_messages_reject,
    device_messages_store,
    device_state_write,
    rejections_record,
)
from yiyang.devices.services.registry import (
    EARLIEST_INSTALL,
    REGISTRY_FIELDS,
    device_register,
    device_update,
    require_device_in_scope,
)
from yiyang.devices.services.rejected import (
    readable_bytes,
    rejected_messages_prune,
    rejected_raw_reveal,
)

__all__ = [
    "EARLIEST_INSTALL",
    "FLOOD_GATE",
    "REGISTRY_FIELDS",
    "REJECTION_WINDOW",
    "UNBINDABLE_ELDER_STATUSES",
    "Accepted",
    "DeviceRef",
    "DeviceState",
    "Inbound",
    "Outcome",
    "Stored",
    "callback_signature",
    "callback_verify",
    "device_bind",
    "device_messages_reject",
    "device_messages_store",
    "device_rebind",
    "device_register",
    "device_state_write",
    "device_unbind",
    "device_update",
    "gateway_beat",
    "readable_bytes",
    "rejected_messages_prune",
    "rejected_raw_reveal",
    "rejections_record",
    "require_device_in_scope",
]
