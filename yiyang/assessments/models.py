"""Ability assessments: versioned instruments, assessments and their answers, care-risk
events, assessors' declared relations and the eligibility rules that turn a level into
entitlements.

Answers and the facts behind the change rules (coma, diagnoses, risk events) are health
data: they are stored sealed (encrypted JSON). Totals and levels stay in clear columns, as
lists, due reminders, providers and indicators need them without the answers.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.assessments.choices import (
    AssessmentReason,
    AssessmentStatus,
    DeclaredRelation,
    EntitlementKind,
    EntitlementUnit,
    RequestedVia,
    RiskEventKind,
)
from yiyang.core.crypto import EncryptedIntegerField, EncryptedTextField
from yiyang.core.model_mixins import (
    USER,
    Edition,
    RuleInForce,
    optional_link,
    scope_code,
    status_field,
)
from yiyang.core.models import BaseModel
from yiyang.elders.models import Elder


class Instrument(Edition):
    """One edition of an assessment instrument: its items, options, points, level bands and
    change rules as data. A new edition or a local variant is a new row, never an edit."""

    code = models.CharField(_("instrument"), max_length=40)
    title = models.CharField(_("title"), max_length=120)
    engine = models.CharField(max_length=20)
    definition = models.JSONField()

    class Meta(Edition.Meta):
        verbose_name = _("instrument")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.version})"


class Assessment(BaseModel):
    # Encrypted columns, re-encrypted by `yiyang rotate-field-keys`.
    SEALED_FIELDS = ("answers_ciphertext", "result_ciphertext")

    elder = models.ForeignKey(
        Elder, verbose_name=_("elder"), on_delete=models.PROTECT, related_name="assessments"
    )
    division_code = scope_code(db_index=True)  # the elder's community when requested
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=AssessmentReason.choices)
    status = status_field(AssessmentStatus.REQUESTED, max_length=16, db_index=True)
    requested_via = models.CharField(_("requested by"), max_length=20, choices=RequestedVia.choices)
    requested_by = optional_link(USER)
    request_note = models.CharField(_("note"), max_length=200, blank=True)
    assessor = optional_link(USER, _("assessor"), related_name="assessments_led")
    second_assessor = optional_link(USER, _("second assessor"), related_name="assessments_seconded")
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    # Sealed JSON: {"answers": {...}, "coma": bool, "diagnoses": [...], "risk_events_30d": {...}}
    answers_ciphertext = models.TextField(blank=True, editable=False)
    # Sealed JSON of the last computed result (with the evidence of the applied rules).
    result_ciphertext = models.TextField(blank=True, editable=False)
    answered_items = models.PositiveSmallIntegerField(default=0)
    # The score is health data (encrypted); the levels are the coarse clear columns that
    # lists, due reminders, entitlements and indicators filter and count on.
    total = EncryptedIntegerField(_("total score"), null=True, blank=True)
    preliminary_level = models.PositiveSmallIntegerField(
        _("preliminary level"), null=True, blank=True
    )
    final_level = models.PositiveSmallIntegerField(_("final level"), null=True, blank=True)
    return_reason = models.TextField(_("returned because"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    finalised_by = optional_link(USER)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, db_index=True)
    superseded_by = optional_link("self", related_name="supersedes")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [
            models.Index(fields=["division_code", "status"], name="assessment_scope_status"),
            models.Index(fields=["elder", "status"], name="assessment_elder_status"),
        ]
        constraints = [
            # One open assessment per elder and instrument: a second request joins the first.
            models.UniqueConstraint(
                fields=["elder", "instrument"],
                condition=models.Q(
                    status__in=["requested", "scheduled", "in_progress", "submitted", "returned"]
                ),
                name="assessment_one_open_per_elder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} · {self.elder.name}"


class CareRiskEvent(BaseModel):
    """A fall, wandering off, choking, self-harm or other care-risk event, or a hospital
    stay. Counted by change rule 3 and prompting an immediate re-assessment."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="risk_events")
    division_code = scope_code(db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RiskEventKind.choices)
    occurred_on = models.DateField(_("date"))
    note = EncryptedTextField(_("note"), max_length=200, blank=True)
    recorded_by = optional_link(USER)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("care-risk event")
        indexes = [models.Index(fields=["elder", "occurred_on"], name="risk_event_elder_date")]


class AssessorDeclaration(BaseModel):
    """An assessor's declared relation to an elder: they may not assess that elder."""

    assessor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="declarations")
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("relation"), max_length=16, choices=DeclaredRelation.choices)

    class Meta:
        verbose_name = _("declared relation")
        constraints = [
            models.UniqueConstraint(fields=["assessor", "elder"], name="declaration_unique")
        ]


class EligibilityRule(RuleInForce):
    """Level plus economic status and age to an entitlement. Edited by an administrator;
    every change is kept in the audit history; an elder's entitlements are computed."""

    entitlement = models.CharField(_("entitlement"), max_length=24, choices=EntitlementKind.choices)
    amount_yuan = models.DecimalField(
        _("amount (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=16, choices=EntitlementUnit.choices)
    min_level = models.PositiveSmallIntegerField(_("lowest level"), default=0)
    max_level = models.PositiveSmallIntegerField(_("highest level"), default=4)
    # Empty: any economic status.
    economic_statuses = models.JSONField(_("economic statuses"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=60)

    class Meta:
        ordering = ["entitlement", "min_level", "name"]
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
