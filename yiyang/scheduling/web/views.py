"""The optimiser's page: today's plan and the proposal side by side as timelines, with
their figures, and a checkbox per changed visit to accept some or all of them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.core.permissions import request_actor
from yiyang.scheduling import selectors, services
from yiyang.scheduling.choices import PlanRunStatus
from yiyang.scheduling.models import PlanRun
from yiyang.scheduling.planning import clock

DAY_START, DAY_END = 7 * 60, 20 * 60


def _blocks(
    run: PlanRun, names: dict[str, dict[str, Any]], which: str, start: float, span: float
) -> dict[str, list[dict[str, Any]]]:
    visits = names["visits"]
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in run.proposal["visits"]:
        plan = row[which]
        if not plan or plan.get("start") is None:
            continue
        begin = plan["start"]
        visit = visits.get(row["id"])
        for cid in plan["caregivers"]:
            rows.setdefault(cid, []).append({
                "id": row["id"], "left": round((begin - start) * 100 / span, 2),
                "width": max(0.5, round(row["duration"] * 100 / span, 2)),
                "start": clock(begin), "end": clock(begin + row["duration"]),
                "elder": visit.elder.name if visit else "", "changed": row["changed"],
                "service": visit.item.name if visit else "", "fixed": row["fixed"],
            })  # fmt: skip
    return rows


def _timeline(
    run: PlanRun, names: dict[str, dict[str, Any]], start: float, span: float
) -> list[dict[str, Any]]:
    """One entry per caregiver: today's blocks above the proposed ones, on one time axis."""
    now = _blocks(run, names, "current", start, span)
    new = _blocks(run, names, "proposed", start, span)
    caregivers = names["caregivers"]
    result = []
    for entry in run.proposal["caregivers"]:
        cid, shift = entry["id"], entry["shift"]
        if not (shift or now.get(cid) or new.get(cid)):
            continue
        result.append({
            "caregiver": caregivers.get(cid), "now": now.get(cid, []), "new": new.get(cid, []),
            "shift": f"{clock(shift[0])}–{clock(shift[1])}" if shift else "",
        })  # fmt: skip
    return result


def _context(run: PlanRun) -> dict[str, Any]:
    context: dict[str, Any] = {"run": run, "ready": run.status == PlanRunStatus.DONE}
    if not context["ready"]:
        return context
    names = selectors.plan_run_names(run=run)
    rows = run.proposal["visits"]
    starts = [r["window"][0] for r in rows] + [DAY_START]
    ends = [r["window"][1] for r in rows] + [DAY_END]
    start, end = (min(starts) // 60) * 60, -(-max(ends) // 60) * 60
    span = max(60.0, end - start)
    visits, caregivers = names["visits"], names["caregivers"]

    def who(ids: list[str] | None) -> str:
        return "、".join(caregivers[c].name for c in ids or [] if c in caregivers)

    now, new = run.proposal["current"], run.proposal["proposal"]
    context.update({
        "timeline": _timeline(run, names, start, span),
        "hours": [
            {"label": f"{h // 60:02d}", "left": round((h - start) * 100 / span, 2)}
            for h in range(int(start), int(end) + 1, 60)
        ],
        "figures": [
            {"key": key, "label": label, "current": now.get(key), "proposal": new.get(key)}
            for label, key in (
                (_("Travel (minutes)"), "travel_minutes"),
                (_("Lateness (minutes)"), "lateness_minutes"),
                (_("Latest start after the window (minutes)"), "max_lateness_minutes"),
                (_("Visits unassigned"), "unassigned"),
                (_("Same caregiver as last time"), "continuity_kept"),
                (_("Overtime (minutes)"), "overtime_minutes"),
            )
        ],
        "changes": [
            {
                "id": r["id"], "visit": visits.get(r["id"]),
                "window": f"{clock(r['window'][0])}–{clock(r['window'][1])}",
                "current": who(r["current"]["caregivers"]),
                "proposed": who((r["proposed"] or {}).get("caregivers")),
                "start": clock((r["proposed"] or {}).get("start")),
                "refusals": r.get("refusals", []),
            }
            for r in rows if r["changed"]
        ],
        "unassigned": [
            {"visit": visits.get(u["visit"]), "id": u["visit"], "message": u["message"]}
            for u in run.proposal["unassigned"]
        ],
    })  # fmt: skip
    return context


@login_required
def plan_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    run = selectors.plan_run_get_for_actor(actor=actor, external_id=external_id)
    if request.method == "POST":
        chosen = request.POST.getlist("visits")
        if not chosen:
            messages.error(request, _("Tick the visits to accept."))
            return redirect("scheduling:plan", external_id=run.external_id)
        try:
            result = services.plan_accept(actor=actor, run=run, visit_ids=chosen)
        except ValidationError as exc:
            messages.error(request, " ".join(str(m) for m in exc.messages))
            return redirect("scheduling:plan", external_id=run.external_id)
        messages.success(
            request, _("%(n)d visit(s) assigned as proposed.") % {"n": len(result.assigned)}
        )
        if result.unassigned:
            messages.warning(request, _(
                "%(n)d visit(s) left out of the plan are now unassigned.") % {
                "n": len(result.unassigned)})  # fmt: skip
        for reasons in result.refused.values():
            messages.error(request, _("Refused: %(reasons)s") % {"reasons": " ".join(reasons)})
        return redirect("scheduling:plan", external_id=run.external_id)
    return render(request, "scheduling/plan.html", _context(run))


@login_required
@require_POST
def plan_start_view(request: HttpRequest) -> HttpResponse:
    """Start "optimise this day" for the manager's provider (``date``, optional
    ``time_limit`` in seconds), or, with ``caregiver``, re-plan the day without that
    caregiver; then show the run's page. For a button on the dispatch board."""
    actor = request_actor(request)
    provider = getattr(request.user, "organisation", None)
    if provider is None:
        raise Http404
    raw_day = request.POST.get("date") or ""
    day = parse_date(raw_day) if raw_day else None
    limit = request.POST.get("time_limit")
    try:
        chosen = request.POST.get("caregiver")
        if chosen:
            caregiver = selectors.provider_caregiver(provider=provider, external_id=chosen)
            if caregiver is None:
                raise ValidationError({"caregiver": _("Choose a caregiver of this provider.")})
            run = services.replan_after_dropout(
                actor=actor, provider=provider, day=day, caregiver=caregiver,
                time_limit=limit or 10,
            )  # fmt: skip
        else:
            run = services.plan_run_start(
                actor=actor, provider=provider, day=day, time_limit=limit or 20
            )
    except ValidationError as exc:
        messages.error(request, " ".join(str(m) for m in exc.messages))
        return redirect(f"{reverse('visits:board')}?date={raw_day}")
    return redirect("scheduling:plan", external_id=run.external_id)
