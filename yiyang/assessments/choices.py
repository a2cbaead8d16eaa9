"""Choices of the assessments app, in the words of GB/T 42195-2022 where it has them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssessmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    FINAL = "final", _("Final")
    SUPERSEDED = "superseded", _("Superseded")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses in which answers may still change.
EDITABLE_STATUSES = (
    AssessmentStatus.SCHEDULED,
    AssessmentStatus.IN_PROGRESS,
    AssessmentStatus.RETURNED,
)
OPEN_STATUSES = (
    AssessmentStatus.REQUESTED,
    AssessmentStatus.SCHEDULED,
    AssessmentStatus.IN_PROGRESS,
    AssessmentStatus.SUBMITTED,
    AssessmentStatus.RETURNED,
)


class AssessmentReason(models.TextChoices):
    """A.1 评估原因."""

    FIRST = "first", _("First assessment")
    ROUTINE = "routine", _("Routine assessment")
    IMMEDIATE = "immediate", _("Immediate assessment after a change")
    APPEAL = "appeal", _("Re-assessment on appeal")
    OTHER = "other", _("Other")


class RequestedVia(models.TextChoices):
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    ELDER_OR_FAMILY = "elder_or_family", _("Elder or family")
    AUTOMATIC = "automatic", _("Automatically (due or after an event)")


class RiskEventKind(models.TextChoices):
    """A.2.14 近30天内照护风险事件, and a hospital stay (which prompts a re-assessment)."""

    FALL = "fall", _("Fall")
    WANDERING = "wandering", _("Wandering off")
    CHOKING = "choking", _("Choking")
    SUICIDE_SELF_HARM = "suicide_self_harm", _("Suicide or self-harm")
    OTHER = "other", _("Other care-risk event")
    HOSPITAL_STAY = "hospital_stay", _("Hospital stay")


# The kinds counted by change rule 3; a hospital stay is not a care-risk event.
RISK_RULE_KINDS = (
    RiskEventKind.FALL,
    RiskEventKind.WANDERING,
    RiskEventKind.CHOKING,
    RiskEventKind.SUICIDE_SELF_HARM,
    RiskEventKind.OTHER,
)
# Events after which an immediate re-assessment is proposed.
REASSESS_KINDS = (RiskEventKind.FALL, RiskEventKind.HOSPITAL_STAY)


class EntitlementKind(models.TextChoices):
    HOME_CARE_ALLOWANCE = "home_care_allowance", _("Home-care service allowance")
    MEAL_SUBSIDY = "meal_subsidy", _("Meal subsidy")
    WEARABLE_DEVICE = "wearable_device", _("Wearable safety device")
    CARE_HOME_SUBSIDY = "care_home_subsidy", _("Care-home subsidy")
    OTHER = "other", _("Other")


class EntitlementUnit(models.TextChoices):
    PER_MONTH = "per_month", _("yuan per month")
    PER_MEAL = "per_meal", _("yuan per meal")
    ONE_OFF = "one_off", _("one-off")


class DeclaredRelation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    RELATIVE = "relative", _("Other relative")
    NEIGHBOUR = "neighbour", _("Neighbour or friend")
    OTHER = "other", _("Other conflict of interest")
