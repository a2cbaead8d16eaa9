"""Fixed vocabularies of the rostering optimiser's runs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import RunStatus

# An optimiser run is computed in the background like the other runs.
PlanRunStatus = RunStatus


class PlanRunKind(models.TextChoices):
    OPTIMISE = "optimise", _("Optimise the day")
    REPLAN = "replan", _("Re-plan after a caregiver dropped out")
