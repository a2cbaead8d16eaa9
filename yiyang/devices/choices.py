from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceKind(models.TextChoices):
    PENDANT = "pendant", _("SOS pendant")
    WATCH = "watch", _("Smart watch")
    SMOKE = "smoke", _("Smoke detector")
    GAS = "gas", _("Gas detector")
    DOOR = "door", _("Door sensor")
    MOTION = "motion", _("Infrared motion sensor")
    BED = "bed", _("Bed sensor")


class DeviceStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    ACTIVE = "active", _("In service")
    RETIRED = "retired", _("Retired")


class EventType(models.TextChoices):
    SOS = "sos", _("SOS key pressed")
    FALL = "fall", _("Fall detected")
    SMOKE = "smoke", _("Smoke")
    GAS = "gas", _("Gas leak")
    HEARTBEAT = "heartbeat", _("Heartbeat")
    VITALS = "vitals", _("Vital signs")
    MOTION = "motion", _("Motion")
    DOOR = "door", _("Door")
    BATTERY = "battery", _("Battery")
    LOCATION = "location", _("Location")
    REMOVED = "removed", _("Device removed")
    BED = "bed", _("Bed presence")


# Telemetry: stored in bulk, never one transaction per message.
TELEMETRY_TYPES = frozenset(
    {
        EventType.HEARTBEAT,
        EventType.VITALS,
        EventType.MOTION,
        EventType.BATTERY,
        EventType.LOCATION,
        EventType.BED,
        EventType.DOOR,
    }
)
# Never rate-limited, never dropped.
CRITICAL_TYPES = frozenset({EventType.SOS, EventType.FALL, EventType.SMOKE, EventType.GAS})


class Via(models.TextChoices):
    MQTT = "mqtt", _("MQTT")
    HTTP = "http", _("HTTP callback")


class RejectReason(models.TextChoices):
    MALFORMED = "malformed", _("Malformed JSON")
    TOO_LARGE = "too_large", _("Payload too large")
    UNKNOWN_DEVICE = "unknown_device", _("Unknown device")
    UNBOUND_DEVICE = "unbound_device", _("Device bound to no elder")
    BAD_SIGNATURE = "bad_signature", _("Wrong signature")
    REPLAYED = "replayed", _("Replayed request")
    FUTURE_TIMESTAMP = "future_timestamp", _("Timestamp in the future")
    STALE_TIMESTAMP = "stale_timestamp", _("Timestamp too old")
    MISSING_FIELD = "missing_field", _("Missing field")
    INVALID_VALUE = "invalid_value", _("Invalid or absurd value")
    UNKNOWN_TYPE = "unknown_type", _("Unknown event type")
    FLOOD = "flood", _("Too many messages from one device")
    WRONG_VENDOR = "wrong_vendor", _("Signed by another vendor than the device's")
    UNREADABLE = "unreadable", _("Message the decoder could not read")
    UNSTORABLE = "unstorable", _("Message that could not be stored")
