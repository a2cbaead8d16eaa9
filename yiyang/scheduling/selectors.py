"""Reads of the optimiser's runs, scoped to the provider manager's organisations, and the
names a proposal page needs (a proposal stores ids only)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.organisations.models import Organisation
from yiyang.scheduling.models import PlanRun
from yiyang.services.choices import CaregiverStatus
from yiyang.services.models import Caregiver
from yiyang.visits.choices import VisitStatus
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


def manager_provider(*, actor: Actor) -> Organisation:
    """The provider whose day a provider manager plans (their organisation), or 404."""
    require_perm(actor, Permission.DISPATCH_VISITS)
    provider = getattr(actor, "organisation", None)
    if provider is None or provider.pk not in (actor.scope.organisation_ids or ()):
        raise Http404
    return provider


def plan_run_latest(*, actor: Actor, provider: Any, day: Any) -> PlanRun | None:
    """The provider's newest run for a day (the board links to it)."""
    return plan_run_list(actor=actor, provider=provider, day=day).first()


def plan_run_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> PlanRun:
    return get_or_404(plan_run_list(actor=actor), external_id=external_id)


def plan_run_names(*, run: PlanRun) -> dict[str, dict[str, Any]]:
    """The visits and caregivers a run's proposal refers to, by external id."""
    visit_ids = [row["id"] for row in run.proposal.get("visits", [])]
    caregiver_ids = [row["id"] for row in run.proposal.get("caregivers", [])]
    visits = {
        str(v.external_id): v
        for v in Visit.objects.filter(provider=run.provider, external_id__in=visit_ids)
        .select_related("elder", "item")
        .only(
            "external_id",
            "status",
            "elder__name",
            "elder__address",
            "elder__lat",
            "elder__lng",
            "item__name",
        )
    }
    caregivers = {
        str(c.external_id): c
        for c in Caregiver.objects.filter(
            provider=run.provider, external_id__in=caregiver_ids
        ).only(
            "external_id",
            "name",
            "phone_masked",
            "work_start",
            "work_end",
            "home_lat",
            "home_lng",
        )
    }
    return {"visits": visits, "caregivers": caregivers}


def route_visit_ids(*, run: PlanRun, caregiver_ids: list[str]) -> list[str]:
    """The changed visits on these caregivers' proposed routes: those proposed to them, and
    those the proposal takes from them without giving them to anyone."""
    chosen = {str(c) for c in caregiver_ids}
    found = []
    for row in run.proposal.get("visits", []):
        if not row["changed"]:
            continue
        proposed = (row["proposed"] or {}).get("caregivers") or []
        owners = proposed if proposed else row["current"]["caregivers"]
        if chosen & set(owners):
            found.append(row["id"])
    return found


def provider_caregiver(*, provider: Any, external_id: uuid.UUID | str) -> Caregiver | None:
    try:
        return Caregiver.objects.filter(provider=provider, external_id=external_id).first()
    except (ValidationError, ValueError):
        return None


@dataclass
class DropoutChoice:
    caregiver: Caregiver
    visits: int  # visits of the day still to do (scheduled or assigned) with this caregiver


def dropout_choices(*, actor: Actor, provider: Organisation, day: Any) -> list[DropoutChoice]:
    """The provider's caregivers who could drop out of ``day`` (active, or with visits that
    day): those with visits still to do that day first (most first), then by name."""
    require_perm(actor, Permission.DISPATCH_VISITS)
    if provider.pk not in (actor.scope.organisation_ids or ()):
        raise Http404
    open_visits = Visit.objects.filter(
        provider=provider, date=day, status__in=(VisitStatus.SCHEDULED, VisitStatus.ASSIGNED)
    )
    counts: dict[int, int] = {}
    for main, second in open_visits.values_list("caregiver_id", "second_caregiver_id"):
        for pk in (main, second):
            if pk:
                counts[pk] = counts.get(pk, 0) + 1
    caregivers = (
        Caregiver.objects.filter(provider=provider)
        .filter(Q(status=CaregiverStatus.ACTIVE) | Q(pk__in=list(counts)))
        .only("external_id", "name", "phone_masked", "status")
    )
    choices = [DropoutChoice(c, counts.get(c.pk, 0)) for c in caregivers]
    choices.sort(key=lambda c: (-c.visits, c.caregiver.name, c.caregiver.pk))
    return choices
