"""The alerts app owns the emergency alert centre: turning device events and silences into
alerts (the rules), grouping repeated events of one incident, the lifecycle (open ->
acknowledged -> actions -> resolved -> reviewed), escalation when nobody acknowledges in
time, notifications through pluggable channels, and the ingestion entry of device messages
(:func:`device_messages_ingest`, used by the MQTT gateway and the HTTP callback alike), which
stores events through the devices app and applies the rules in the same transaction.

Time comes in as ``now`` (default: :mod:`yiyang.devices.clock`), so tests drive escalation.
Escalation and notification work is claimed with conditional UPDATEs: several monitor
processes never escalate or deliver the same thing twice, and all state is in the database.

The services are split by workflow (Zulip's ``actions/``); this package re-exports
the public ones, so callers import ``yiyang.alerts.services`` as before.
"""

from yiyang.alerts.services.elder_settings import (
    contact_email_set,
    elder_alert_settings_set,
    limits_by_elder,
)
from yiyang.alerts.services.escalation import alerts_escalate
from yiyang.alerts.services.ingest import device_messages_ingest
from yiyang.alerts.services.lifecycle import (
    alert_acknowledge,
    alert_action_log,
    alert_resolve,
    alert_review,
)
from yiyang.alerts.services.monitor import (
    housekeeping,
    monitor_tick,
)
from yiyang.alerts.services.notifications import (
    MAX_NOTIFICATION_ATTEMPTS,
    Labels,
    alert_message,
    notification_send,
    notifications_deliver,
    notify,
    notify_on_raise,
    notify_on_raise_many,
)
from yiyang.alerts.services.raising import (
    ack_deadline,
    alert_raise,
    alert_raise_or_join,
    username_of,
)
from yiyang.alerts.services.storm import (
    RaiseRequest,
    alerts_raise_many,
)
from yiyang.alerts.services.technical import (
    SELF_RESOLVING,
    technical_alerts_autoresolve,
)
from yiyang.alerts.services.time_rules import time_rules_apply

__all__ = [
    "MAX_NOTIFICATION_ATTEMPTS",
    "SELF_RESOLVING",
    "Labels",
    "RaiseRequest",
    "ack_deadline",
    "alert_acknowledge",
    "alert_action_log",
    "alert_message",
    "alert_raise",
    "alert_raise_or_join",
    "alert_resolve",
    "alert_review",
    "alerts_escalate",
    "alerts_raise_many",
    "contact_email_set",
    "device_messages_ingest",
    "elder_alert_settings_set",
    "housekeeping",
    "limits_by_elder",
    "monitor_tick",
    "notification_send",
    "notifications_deliver",
    "notify",
    "notify_on_raise",
    "notify_on_raise_many",
    "technical_alerts_autoresolve",
    "time_rules_apply",
    "username_of",
]
