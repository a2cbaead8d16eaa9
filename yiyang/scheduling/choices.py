"""Fixed vocabularies of the rostering optimiser's runs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PlanRunKind(models.TextChoices):
    OPTIMISE = "optimise", _("Optimise the day")
    REPLAN = "replan", _("Re-plan after a caregiver dropped out")
