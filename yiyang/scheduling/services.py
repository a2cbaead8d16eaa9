"""Writes of the rostering optimiser: starting a run ("optimise this day"), running it in the
background with its progress, accepting all or some of its proposal through the dispatch
service, and re-planning a day after a caregiver drops out.

Accepting never bypasses a dispatch rule: every change goes through
``yiyang.visits.services.visit_assign``, and a refused visit is reported with its reasons
while the others are still applied.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.organisations.models import Organisation
from yiyang.scheduling import planning, selectors
from yiyang.scheduling.choices import PlanRunKind, PlanRunStatus
from yiyang.scheduling.lifecycle import (
    PlanAction,
    day_plan_refusal,
    plan_action_check,
    provider_refusal,
)
from yiyang.scheduling.models import PlanRun
from yiyang.scheduling.solver.search import warm_up
from yiyang.services.models import Caregiver
from yiyang.visits import services as dispatch
from yiyang.visits.choices import VisitStatus
from yiyang.visits.dispatch_facts import minute_moment
from yiyang.visits.dispatching import refusal_text
from yiyang.visits.models import Visit

logger = logging.getLogger(__name__)
MAX_TIME_LIMIT = 300.0
DEFAULT_TIME_LIMIT = 20.0  # seconds, "optimise this day"
REPLAN_TIME_LIMIT = 10.0  # seconds, re-planning after a dropout (the day is under way)
PROGRESS_EVERY = 0.5  # seconds between progress writes


def _require_provider(actor: Actor, provider: Organisation) -> None:
    require_perm(actor, Permission.DISPATCH_VISITS)
    refusal = provider_refusal(actor, provider)
    if refusal is not None:
        refusal.raise_()


def _check(day: Any, time_limit: Any) -> tuple[datetime.date, float]:
    errors: dict[str, str] = {}
    if not isinstance(day, datetime.date):
        errors["day"] = _("Give a date.")
    elif (refusal := day_plan_refusal(day)) is not None:
        errors["day"] = refusal.message
    try:
        limit = float(time_limit)
    except (TypeError, ValueError):
        limit = -1.0
    if not 0 < limit <= MAX_TIME_LIMIT:
        errors["time_limit"] = _("The time limit is between 1 and %(max)d seconds.") % {
            "max": MAX_TIME_LIMIT
        }
    if errors:
        raise ValidationError(errors)
    return day, limit


@task()
def plan_run_task(run_id: int) -> None:
    plan_run_execute(run_id)


def plan_run_start(
    *,
    actor: Actor,
    provider: Organisation,
    day: Any,
    time_limit: Any = 20,
    seed: int = 0,
    max_iterations: int | None = None,
    dropped: Caregiver | None = None,
) -> PlanRun:
    """Queue "optimise this day" for ``provider``'s ``day``; the run's ``progress`` moves
    from 0 to 100 and its ``proposal`` is filled when it is done. With ``dropped`` the run
    re-plans the rest of the day without that caregiver (:func:`replan_after_dropout`)."""
    if dropped is not None and dropped.provider_id != provider.pk:
        raise ValidationError({"caregiver": _("This caregiver works for another provider.")})
    _require_provider(actor, provider)
    day, limit = _check(day, time_limit)
    kind = PlanRunKind.OPTIMISE if dropped is None else PlanRunKind.REPLAN
    run = PlanRun.objects.create(
        provider=provider,
        day=day,
        kind=kind,
        dropped_caregiver=dropped,
        time_limit=limit,
        seed=int(seed),
        max_iterations=max_iterations,
        created_by=actor_user(actor),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=run,
        division_code="",
        changes={"day": [None, day.isoformat()], "kind": [None, kind]},
    )
    # queued once committed: the worker must see the run (tests and the demo run it at once)
    transaction.on_commit(lambda: plan_run_task.enqueue(run.pk))
    return run


def replan_after_dropout(
    *,
    actor: Actor,
    provider: Organisation,
    day: Any,
    caregiver: Caregiver,
    time_limit: Any = 10,
    seed: int = 0,
    max_iterations: int | None = None,
) -> PlanRun:
    """Re-plan the rest of the day without ``caregiver``: every other caregiver keeps their
    visits, the dropped caregiver's (and the unassigned) visits are placed where they fit.
    Nothing changes until the proposal is accepted."""
    return plan_run_start(
        actor=actor,
        provider=provider,
        day=day,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
        dropped=caregiver,
    )


def plan_run_execute(run_id: int) -> PlanRun:
    """Build the day's problem, solve it within the run's time limit and store the
    proposal. Any failure marks the run failed with its message; it never raises."""
    run = PlanRun.objects.select_related("provider", "dropped_caregiver").get(pk=run_id)
    if run.status not in (PlanRunStatus.QUEUED, PlanRunStatus.RUNNING):
        return run
    run.status, run.started_at, run.progress = PlanRunStatus.RUNNING, timezone.now(), 1
    run.save(update_fields=["status", "started_at", "progress", "updated_at"])
    last = [time.perf_counter()]

    def progress(share: float) -> None:
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            PlanRun.objects.filter(pk=run.pk).update(progress=max(1, min(99, int(share * 100))))

    try:
        warm_up()  # loading the compiled search (once per process) is not planning time
        dp = planning.build_day(provider=run.provider, day=run.day, dropped=run.dropped_caregiver)
        solved = planning.solve_day(
            dp,
            time_limit=run.time_limit,
            seed=run.seed,
            max_iterations=run.max_iterations,
            progress=progress,
            # two processes only when the clock ends the run: an iteration cap asks for a
            # repeatable one
            workers=settings.SCHEDULING_SOLVER_WORKERS if run.max_iterations is None else 1,
        )
        run.proposal = planning.proposal_json(dp, solved)
        run.status = PlanRunStatus.DONE
    except Exception as exc:  # a failed run is shown, never a crashed worker
        logger.exception("plan run %s failed", run.pk)
        run.status = PlanRunStatus.FAILED
        run.error = f"{exc.__class__.__name__}: {exc}"[:500]
    run.progress = 100
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "proposal", "error", "progress", "finished_at", "updated_at"])
    return run


@dataclass
class AcceptResult:
    assigned: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # visit id -> refusals as stored: the dispatch rules' (``Refusal.as_dict``: code,
    # caregiver, params, the conflicting visit) and this service's own (``gone``,
    # ``now_unassigned``, ``error`` with the message); words at display time
    refused: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unassigned: list[str] = field(default_factory=list)  # left out of the proposal


def _refusals(exc: ValidationError) -> list[dict[str, Any]]:
    found = getattr(exc, "refusals", None)
    if found is not None:
        return [r.as_dict() for r in found]
    if hasattr(exc, "error_dict"):
        texts = [
            str(m) for key, errors in exc.message_dict.items() if key != "codes" for m in errors
        ]
    else:
        texts = [str(m) for m in exc.messages]
    return [{"code": "error", "params": {"text": t}} for t in texts]


def accept_refusal_text(refusal: dict[str, Any] | str) -> str:
    """A stored refusal of accepting, in the reader's language."""
    if isinstance(refusal, str):  # accepted before refusals were stored as codes
        return refusal
    if refusal.get("code") == "gone":
        return _("This visit no longer exists.")
    if refusal.get("code") == "now_unassigned":
        return _("It is now unassigned.")
    if refusal.get("code") == "error":
        return str((refusal.get("params") or {}).get("text", ""))
    return refusal_text(refusal)


def _wanted(run: PlanRun, rows: dict[str, Any], visit_ids: Any, caregiver_ids: Any) -> list[str]:
    if visit_ids is None and caregiver_ids is None:
        return list(rows)
    unknown_caregivers = sorted(
        {str(c) for c in caregiver_ids or ()}
        - {c["id"] for c in run.proposal.get("caregivers", [])}
    )
    if unknown_caregivers:
        raise ValidationError(
            {"caregivers": _("Not in this plan: %(ids)s.") % {"ids": ", ".join(unknown_caregivers)}}
        )
    on_routes = selectors.route_visit_ids(run=run, caregiver_ids=caregiver_ids or [])
    wanted = list(dict.fromkeys([str(v) for v in visit_ids or ()] + on_routes))
    if not wanted:
        raise ValidationError({"visits": _("Choose the visits or routes to accept.")})
    unknown = [v for v in wanted if v not in rows]
    if unknown:
        raise ValidationError(
            {"visits": _("Not in this plan: %(ids)s.") % {"ids": ", ".join(unknown)}}
        )
    return wanted


def _start(run: PlanRun, row: dict[str, Any]) -> datetime.datetime | None:
    start = (row.get("proposed") or {}).get("start")
    return None if start is None else minute_moment(run.day, float(start))


def _assign_all(
    actor: Actor,
    run: PlanRun,
    todo: list[dict[str, Any]],
    unchanged: list[dict[str, Any]],
    result: AcceptResult,
) -> None:
    """Free the caregivers of every changed visit (so that swaps are possible), set the
    proposal's starts on the visits it keeps, then assign each changed visit at its
    proposed start, first to last; a refused one gets its caregivers back when allowed."""
    visits = {
        str(v.external_id): v
        for v in Visit.objects.filter(
            provider=run.provider, external_id__in=[row["id"] for row in todo + unchanged]
        ).select_related("caregiver", "second_caregiver")
    }
    proposed_ids = {cid for row in todo for cid in row["proposed"]["caregivers"]}
    caregivers = {
        str(c.external_id): c
        for c in Caregiver.objects.filter(provider=run.provider, external_id__in=proposed_ids)
    }
    previous: dict[str, list[Caregiver]] = {}
    for row in todo:
        visit = visits.get(row["id"])
        if visit is None:
            result.refused[row["id"]] = [{"code": "gone"}]
            continue
        previous[row["id"]] = [c for c in (visit.caregiver, visit.second_caregiver) if c]
        if visit.status == VisitStatus.ASSIGNED:
            try:
                dispatch.visit_unassign(actor=actor, visit=visit)
            except ValidationError as exc:
                result.refused[row["id"]] = _refusals(exc)
    dispatch.visits_planned_start_set(
        actor=actor,
        starts={
            visits[row["id"]]: _start(run, row)
            for row in unchanged
            if row["id"] in visits and not row["fixed"] and row.get("proposed")
        },
    )
    for row in sorted(todo, key=lambda r: (r["proposed"].get("start") or 0, r["id"])):
        vid = row["id"]
        if vid in result.refused:
            continue
        chosen = [caregivers[c] for c in row["proposed"]["caregivers"] if c in caregivers]
        try:
            dispatch.visit_assign(
                actor=actor, visit=visits[vid], caregivers=chosen, at=_start(run, row)
            )
            result.assigned.append(vid)
        except ValidationError as exc:
            result.refused[vid] = _refusals(exc)
            if previous.get(vid):
                try:
                    dispatch.visit_assign(actor=actor, visit=visits[vid], caregivers=previous[vid])
                except ValidationError:
                    result.refused[vid].append({"code": "now_unassigned"})


@transaction.atomic
def plan_accept(
    *,
    actor: Actor,
    run: PlanRun,
    visit_ids: list[str] | None = None,
    caregiver_ids: list[str] | None = None,
) -> AcceptResult:
    """Apply the proposal for all visits (``visit_ids`` and ``caregiver_ids`` None) or for
    the given visits and the changed visits of the given caregivers' routes, each through
    ``visit_assign`` at its proposed start. Visits whose caregivers change are first
    unassigned (so that two visits can swap caregivers); a refused visit gets its previous
    caregivers back when they are still allowed, and its refusals are reported. The others
    are applied. A visit the proposal leaves out is unassigned (after a dropout: one nobody
    else could take). A run is accepted once; what was done is kept in ``accept_result``."""
    _require_provider(actor, run.provider)
    # one acceptance at a time: a second click waits here, then finds the run accepted
    run = PlanRun.objects.select_for_update(of=("self",)).select_related("provider").get(pk=run.pk)
    plan_action_check(actor=actor, run=run, action=PlanAction.ACCEPT)
    rows = {row["id"]: row for row in run.proposal.get("visits", [])}
    wanted = _wanted(run, rows, visit_ids, caregiver_ids)
    result = AcceptResult()
    todo, unchanged, orphans = [], [], []
    for vid in wanted:
        row = rows[vid]
        if row["fixed"] or not row["changed"]:
            result.unchanged.append(vid)
            unchanged.append(row)
        elif not row["proposed"]:
            orphans.append(vid)
        else:
            todo.append(row)
    # visits the proposal leaves out (after a dropout: those nobody could take) are
    # unassigned first, which frees their caregivers for the proposed ones
    for orphan in Visit.objects.filter(provider=run.provider, external_id__in=orphans):
        try:
            dispatch.visit_unassign(actor=actor, visit=orphan)
            result.unassigned.append(str(orphan.external_id))
        except ValidationError as exc:
            result.refused[str(orphan.external_id)] = _refusals(exc)
    _assign_all(actor, run, todo, unchanged, result)
    run.accepted_at, run.accepted_by = timezone.now(), actor_user(actor)
    run.accept_result = dataclasses.asdict(result)
    run.save(update_fields=["accepted_at", "accepted_by", "accept_result", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=run,
        division_code="",
        changes={
            "accepted": [None, result.assigned],
            "refused": [None, sorted(result.refused)],
            "unassigned": [None, result.unassigned],
        },
    )
    return result
