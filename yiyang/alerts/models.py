"""Alerts, what operators did about them, escalation state, notifications and the per-elder
thresholds of the rules. All state lives here, so a restarted monitor carries on."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.alerts.choices import (
    ActionKind,
    ActionResult,
    AlertKind,
    AlertSource,
    AlertStatus,
    NotificationStatus,
    Outcome,
    Priority,
    RecipientKind,
)
from yiyang.core.crypto import EncryptedFloatField, EncryptedTextField
from yiyang.core.model_mixins import (
    acting_user,
    division_code_field,
    optional_link,
    scope_code,
    status_field,
    username_copy,
)
from yiyang.core.models import BaseModel
from yiyang.devices.models import Device
from yiyang.elders.models import Elder, ElderContact

ACTIVE = Q(status__in=["open", "acknowledged"])


class Alert(BaseModel):
    elder = models.ForeignKey(
        Elder, verbose_name=_("elder"), on_delete=models.PROTECT, related_name="alerts"
    )
    division_code = scope_code()
    device = optional_link(Device, _("device"), related_name="alerts")
    kind = models.CharField(_("kind"), max_length=24, choices=AlertKind.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    status = status_field(AlertStatus.OPEN, max_length=16)
    source = models.CharField(_("source"), max_length=16, choices=AlertSource.choices)
    # What happened in words ("上门时发现老人头晕乏力", "心率 132 次/分"): health data, encrypted.
    detail = EncryptedTextField(_("detail"), max_length=300, blank=True)
    # Repeated events of one incident join the active alert with the same key.
    dedupe_key = models.CharField(max_length=120)
    event_count = models.PositiveIntegerField(_("events"), default=1)
    # When the alert reached the queue (by the services' clock): answer times count from here.
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    first_event_at = models.DateTimeField(_("first event"))
    last_event_at = models.DateTimeField(_("last event"))
    raised_by_username = username_copy()
    # Escalation: the tier now notified and when the next step falls due (None: no more).
    tier = models.PositiveSmallIntegerField(_("escalation tier"), default=0)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = acting_user(blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = acting_user(blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    outcome_note = EncryptedTextField(_("outcome note"), max_length=500, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = acting_user(blank=True)
    review_note = EncryptedTextField(_("review note"), max_length=500, blank=True)

    class Meta:
        ordering = ["priority", "raised_at", "id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=ACTIVE, name="alert_one_active_per_incident"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "priority", "raised_at"], name="alert_queue"),
            models.Index(
                fields=["escalate_at"], name="alert_escalation_due", condition=Q(status="open")
            ),
            models.Index(fields=["division_code", "raised_at"], name="alert_division_raised"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.elder_id}"


class AlertAction(BaseModel):
    """One step taken on an alert: a call and its result, help sent, an escalation."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("action"), max_length=24, choices=ActionKind.choices)
    result = models.CharField(_("result"), max_length=16, choices=ActionResult.choices, blank=True)
    contact = optional_link(ElderContact, on_delete=models.SET_NULL)
    note = EncryptedTextField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"))
    actor = acting_user(blank=True)
    actor_username = username_copy()

    class Meta:
        ordering = ["alert", "at", "id"]
        verbose_name = _("alert action")
        verbose_name_plural = _("alert actions")

    def __str__(self) -> str:
        return f"{self.kind} {self.result}"


class ElderAlertSettings(BaseModel):
    """Per-elder overrides of the rules' thresholds (empty: the city default applies)."""

    elder = models.OneToOneField(Elder, on_delete=models.CASCADE, related_name="alert_settings")
    heart_rate_low = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate_high = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_low = models.PositiveSmallIntegerField(null=True, blank=True)
    sustained_seconds = models.PositiveIntegerField(null=True, blank=True)
    no_motion_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    # The elder's day: no-motion counts only daytime hours, the door rule only night hours.
    day_starts_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    day_ends_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    door_open_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    safe_zone_metres = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.elder_id}"


class VitalsBreach(models.Model):
    """A vital sign out of range since ``since``: sustained long enough, it raises an alert."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=16)
    since = models.DateTimeField()
    last_value = EncryptedFloatField()  # a vital sign: encrypted
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["elder", "metric"], name="vitals_breach_once")
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.metric}"


class Notification(BaseModel):
    """A message to a contact, a community worker or an escalation tier, through a channel;
    the outbox. Delivered by the alert monitor, every attempt recorded."""

    # None for a notice of another app (a late home-care visit to its provider).
    alert = optional_link(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(_("channel"), max_length=16)
    recipient_kind = models.CharField(_("recipient"), max_length=16, choices=RecipientKind.choices)
    recipient = models.CharField(_("to"), max_length=200)
    # A family contact's phone is read (unsealed) only by a channel that needs it.
    contact = optional_link(ElderContact, on_delete=models.SET_NULL)
    # Carries the alert's detail (health data): encrypted; the channel reads it to send.
    message = EncryptedTextField(_("message"))
    status = status_field(NotificationStatus.PENDING, max_length=16)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    division_code = scope_code()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due")]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient}"


class NotificationAttempt(models.Model):
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField()
    ok = models.BooleanField()
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["notification", "at", "id"]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.ok}"


class ContactEmail(BaseModel):
    """A family contact's e-mail address for notifications (the e-mail channel), sealed like
    the contact's phones: encrypted at rest, masked wherever it is shown."""

    SEALED_FIELDS = ("email_ciphertext",)

    contact = models.OneToOneField(
        ElderContact, on_delete=models.CASCADE, related_name="notification_email"
    )
    email_ciphertext = models.TextField(editable=False)
    email_masked = models.CharField(_("e-mail"), max_length=120)

    def __str__(self) -> str:
        return f"{self.contact_id} {self.email_masked}"


class AlertChange(models.Model):
    """The change feed the live console follows in the embedded default (polling by id)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="+")
    division_code = division_code_field()
    change = models.CharField(max_length=16)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.alert_id} {self.change}"
