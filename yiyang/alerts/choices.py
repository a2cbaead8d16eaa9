from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Priority(models.IntegerChoices):
    # Lower sorts first: the console lists critical alerts on top.
    CRITICAL = 1, _("Critical")
    WARNING = 2, _("Warning")
    TECHNICAL = 3, _("Technical")


class AlertKind(models.TextChoices):
    SOS = "sos", _("SOS key pressed")
    FALL = "fall", _("Fall detected")
    SMOKE = "smoke", _("Smoke alarm")
    GAS = "gas", _("Gas alarm")
    HEART_RATE = "heart_rate", _("Heart rate out of range")
    SPO2 = "spo2", _("Blood oxygen low")
    NO_MOTION = "no_motion", _("No movement at home")
    DOOR_OPEN_NIGHT = "door_open_night", _("Door left open at night")
    LEFT_SAFE_ZONE = "left_safe_zone", _("Left the safe zone")
    DEVICE_SILENT = "device_silent", _("Device silent")
    LOW_BATTERY = "low_battery", _("Low battery")
    DEVICE_REMOVED = "device_removed", _("Device taken off")
    BAD_STREAM = "bad_stream", _("Device sends bad data")
    FOUND_UNWELL = "found_unwell", _("Found unwell at a visit")
    OTHER = "other", _("Other")


PRIORITY_OF: dict[str, int] = {
    AlertKind.SOS: Priority.CRITICAL,
    AlertKind.FALL: Priority.CRITICAL,
    AlertKind.SMOKE: Priority.CRITICAL,
    AlertKind.GAS: Priority.CRITICAL,
    AlertKind.FOUND_UNWELL: Priority.CRITICAL,
    AlertKind.HEART_RATE: Priority.WARNING,
    AlertKind.SPO2: Priority.WARNING,
    AlertKind.NO_MOTION: Priority.WARNING,
    AlertKind.DOOR_OPEN_NIGHT: Priority.WARNING,
    AlertKind.LEFT_SAFE_ZONE: Priority.WARNING,
    AlertKind.OTHER: Priority.WARNING,
    AlertKind.DEVICE_SILENT: Priority.TECHNICAL,
    AlertKind.LOW_BATTERY: Priority.TECHNICAL,
    AlertKind.DEVICE_REMOVED: Priority.TECHNICAL,
    AlertKind.BAD_STREAM: Priority.TECHNICAL,
}


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    REVIEWED = "reviewed", _("Reviewed")


ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class AlertSource(models.TextChoices):
    DEVICE = "device", _("Device")
    MONITOR = "monitor", _("Time-based rule")
    VISIT = "visit", _("Home-care visit")
    MANUAL = "manual", _("Raised by hand")


class ActionKind(models.TextChoices):
    CALLED_ELDER = "called_elder", _("Called the elder")
    CALLED_CONTACT = "called_contact", _("Called a contact")
    SENT_WORKER = "sent_worker", _("Sent a community worker or caregiver")
    CALLED_120 = "called_120", _("Called 120 (ambulance)")
    CALLED_119 = "called_119", _("Called 119 (fire)")
    NOTE = "note", _("Note")
    # Written by the platform, not chosen by an operator.
    ESCALATED = "escalated", _("Escalated")


OPERATOR_ACTIONS = [k for k in ActionKind if k != ActionKind.ESCALATED]


class ActionResult(models.TextChoices):
    REACHED = "reached", _("Reached, spoke")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy / unreachable")
    DISPATCHED = "dispatched", _("Help dispatched")
    ARRIVED = "arrived", _("Help arrived")
    DONE = "done", _("Done")


class Outcome(models.TextChoices):
    FALSE_ALARM = "false_alarm", _("False alarm")
    ASSISTED_AT_HOME = "assisted_at_home", _("Assisted at home")
    ADVICE_BY_PHONE = "advice_by_phone", _("Advice by phone")
    TAKEN_TO_HOSPITAL = "taken_to_hospital", _("Taken to hospital")
    FIRE_SERVICE = "fire_service", _("Fire service attended")
    DEVICE_FIXED = "device_fixed", _("Device checked or replaced")
    DECEASED = "deceased", _("Found deceased")
    OTHER = "other", _("Other")
    # Set by the platform: a technical alert whose cause went away (the device spoke again,
    # was charged, sends good data again). Operators never choose it.
    AUTO_RESOLVED = "auto_resolved", _("Resolved by itself")


OPERATOR_OUTCOMES = [o for o in Outcome if o != Outcome.AUTO_RESOLVED]


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", pgettext_lazy("notification status", "Failed")


class RecipientKind(models.TextChoices):
    CONTACT = "contact", _("Family contact")
    COMMUNITY = "community", _("Community worker")
    TIER = "tier", _("Escalation tier")
    PROVIDER = "provider", _("Care provider")
    OFFICER = "officer", _("Government officer")


# What the operator says and does, per kind (the console shows it beside the alert).
CALL_SCRIPTS: dict[str, list] = {
    AlertKind.SOS: [
        _(
            "Call the elder at once: 'This is the Yiyang care centre, you pressed your alarm. "
            "Are you all right? Are you hurt?'"
        ),
        _(
            "No answer or the elder needs help: call the contacts in order, then send the "
            "community worker; if they are hurt or unwell, call 120."
        ),
    ],
    AlertKind.FALL: [
        _("Call the elder: 'Have you fallen? Can you move? Does anything hurt?'"),
        _(
            "Do not ask them to get up if they are in pain; call 120 and send the nearest "
            "worker; tell the first contact."
        ),
    ],
    AlertKind.SMOKE: [
        _("Call the elder: 'Your smoke alarm is sounding. Is there fire or smoke?'"),
        _("Fire, smoke or no answer: call 119 and give the address, then the contacts."),
    ],
    AlertKind.GAS: [
        _(
            "Call the elder: 'Your gas alarm is sounding. Turn off the gas, open the window, "
            "do not switch anything on, leave the flat.'"
        ),
        _("No answer: call 119 and send the community worker; tell the contacts."),
    ],
    AlertKind.FOUND_UNWELL: [
        _("Call the caregiver on site: what do they see, is the elder conscious?"),
        _("Call 120 if needed; inform the first contact."),
    ],
}
DEFAULT_SCRIPT = [
    _("Call the elder and ask how they are."),
    _("No answer: call the contacts in order, then ask the community worker to visit."),
]
TECHNICAL_SCRIPT = [
    _("Call the elder: is the device worn, charged, switched on?"),
    _("Ask the community worker to check or replace the device."),
]


# The thresholds of the rules an elder's settings may override: label and unit.
THRESHOLD_LABELS: dict[str, tuple[Any, Any]] = {
    "heart_rate_low": (_("Heart rate: lower limit"), _("beats/min")),
    "heart_rate_high": (_("Heart rate: upper limit"), _("beats/min")),
    "spo2_low": (_("Blood oxygen (SpO2): lower limit"), "%"),
    "sustained_seconds": (_("Vital signs out of range for at least"), _("seconds")),
    "no_motion_hours": (_("No motion at home for"), _("daytime hours")),
    "day_starts_hour": (_("Day starts at (no-motion rule; night ends)"), _("o'clock")),
    "day_ends_hour": (_("Day ends at (door rule: night begins)"), _("o'clock")),
    "door_open_minutes": (_("Door open at night for"), _("minutes")),
    "safe_zone_metres": (_("Safe zone around home"), _("metres")),
}
