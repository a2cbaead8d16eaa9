"""A run of the rostering optimiser over one provider's day, and its proposal."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import acting_user, choice_field, optional_link, status_field
from yiyang.core.models import BaseModel
from yiyang.organisations.models import provider_link
from yiyang.scheduling.choices import PlanRunKind, PlanRunStatus
from yiyang.services.models import Caregiver


class PlanRun(BaseModel):
    """One "optimise this day" (or re-plan) run.

    ``proposal`` is written when the run is done (see ``planning.proposal_json``): per visit
    the current and the proposed caregiver(s) and start minute, the figures of both plans
    (travel, lateness, unassigned, continuity kept, overtime) and why each visit that could
    not be planned was left out. It holds ids, never names: pages look the names up.
    """

    provider = provider_link("+")
    day = models.DateField(_("day"))
    kind = choice_field(_("kind"), PlanRunKind.OPTIMISE, max_length=10)
    dropped_caregiver = optional_link(Caregiver, _("caregiver who dropped out"))
    status = status_field(PlanRunStatus.QUEUED, max_length=10)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    time_limit = models.FloatField(_("time limit (seconds)"), default=20)
    seed = models.IntegerField(_("seed"), default=0)
    max_iterations = models.PositiveIntegerField(null=True, blank=True)
    created_by = acting_user()
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    proposal = models.JSONField(_("proposal"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = acting_user(blank=True)
    # what accepting did, per visit id: ``assigned``, ``unchanged``, ``unassigned`` (lists)
    # and ``refused`` (id -> the dispatch rules' reasons); a run is accepted once
    accept_result = models.JSONField(_("result of accepting"), default=dict, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("plan run")
        verbose_name_plural = _("plan runs")
        indexes = [models.Index(fields=("provider", "day"), name="planrun_provider_day")]

    def __str__(self) -> str:
        return f"{self.day} · {self.get_status_display()}"
