"""Demo rostering optimiser: a finished "optimise this day" run for the demo provider
manager's company today (and tomorrow, whose visits are partly still to assign), so that the
plan page (the proposal beside today's plan, the routes on the map, the timeline and the
figures) shows life on the first start. It goes through the same service as the board's
button, then runs at once with an iteration cap, so that it takes a few seconds; the
proposal is left for the manager to accept or not."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.permissions import Role
from yiyang.scheduling.choices import PlanRunStatus
from yiyang.scheduling.selectors import plan_run_list
from yiyang.scheduling.services import plan_run_execute, plan_run_start
from yiyang.visits.models import Visit

# Enough for the demo day's few dozen visits to show a clear gain; the cap keeps it to a
# few seconds and the same proposal on every machine that is not slower than the limit.
DEMO_TIME_LIMIT = 8.0
DEMO_MAX_ITERATIONS = 3000
DEMO_SEED = 7


@dataclass
class DemoPlan:
    created: bool = False
    existing: bool = False
    run_id: str = ""
    visits: int = 0
    current: dict[str, Any] = field(default_factory=dict)
    proposal: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""


def demo_plan_build(*, day: datetime.date | None = None) -> DemoPlan:
    """Optimise the demo provider's ``day`` (today by default) once: nothing when a finished
    run of that day is there already, or when the provider has no visits that day."""
    manager = User.objects.filter(
        username="provider_manager", role=Role.PROVIDER_MANAGER, organisation__isnull=False
    ).first()
    provider = manager.organisation if manager is not None else None
    if manager is None or provider is None:
        return DemoPlan()
    day = day or timezone.localdate()
    done = plan_run_list(actor=manager, provider=provider, day=day).filter(
        status=PlanRunStatus.DONE
    )
    existing = done.first()
    if existing is not None:
        return DemoPlan(existing=True, run_id=str(existing.external_id))
    visits = Visit.objects.filter(provider=provider, date=day).count()
    if not visits:
        return DemoPlan()
    started = time.monotonic()
    with transaction.atomic():
        run = plan_run_start(
            actor=manager,
            provider=provider,
            day=day,
            time_limit=DEMO_TIME_LIMIT,
            seed=DEMO_SEED,
            max_iterations=DEMO_MAX_ITERATIONS,
        )
    # run here rather than wait for the worker (which then finds it done)
    run = plan_run_execute(run.pk)
    return DemoPlan(
        created=run.status == PlanRunStatus.DONE,
        run_id=str(run.external_id),
        visits=visits,
        current=run.proposal.get("current", {}),
        proposal=run.proposal.get("proposal", {}),
        seconds=time.monotonic() - started,
        error=run.error,
    )


def demo_plans_build() -> list[DemoPlan]:
    """Today's and tomorrow's runs (each once)."""
    today = timezone.localdate()
    return [demo_plan_build(day=today + datetime.timedelta(days=n)) for n in (0, 1)]
