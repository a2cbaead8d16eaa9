"""Reads of the optimiser's runs, scoped to the provider manager's organisations, and the
names a proposal page needs (a proposal stores ids only)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.scheduling.models import PlanRun
from yiyang.services.models import Caregiver
from yiyang.visits.models import Visit


def plan_run_queryset(*, actor: Actor) -> QuerySet[PlanRun]:
    require_perm(actor, Permission.DISPATCH_VISITS)
    return PlanRun.objects.filter(provider_id__in=sorted(actor.scope.organisation_ids or ()))


def plan_run_list(*, actor: Actor, provider: Any = None, day: Any = None) -> QuerySet[PlanRun]:
    runs = plan_run_queryset(actor=actor).select_related("provider", "dropped_caregiver")
    if provider is not None:
        runs = runs.filter(provider=provider)
    if day is not None:
        runs = runs.filter(day=day)
    return runs


def plan_run_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> PlanRun:
    try:
        return plan_run_list(actor=actor).get(external_id=external_id)
    except (PlanRun.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def plan_run_names(*, run: PlanRun) -> dict[str, dict[str, Any]]:
    """The visits and caregivers a run's proposal refers to, by external id."""
    visit_ids = [row["id"] for row in run.proposal.get("visits", [])]
    caregiver_ids = [row["id"] for row in run.proposal.get("caregivers", [])]
    visits = {
        str(v.external_id): v
        for v in Visit.objects.filter(provider=run.provider, external_id__in=visit_ids)
        .select_related("elder", "item")
        .only("external_id", "status", "elder__name", "elder__address", "item__name")
    }  # fmt: skip
    caregivers = {
        str(c.external_id): c
        for c in Caregiver.objects.filter(provider=run.provider, external_id__in=caregiver_ids)
        .only("external_id", "name", "work_start", "work_end")
    }  # fmt: skip
    return {"visits": visits, "caregivers": caregivers}


def provider_caregiver(*, provider: Any, external_id: uuid.UUID | str) -> Caregiver | None:
    try:
        return Caregiver.objects.filter(provider=provider, external_id=external_id).first()
    except (ValidationError, ValueError):
        return None
