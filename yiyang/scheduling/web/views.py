"""The optimiser's pages: a run's progress, then today's plan and the proposal side by side
(figures with their difference, a timeline per caregiver, a map of each caregiver's route),
accepting all of it, some routes or some visits, and re-planning a day after a caregiver
drops out."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiyang.core.display import caregiver_name
from yiyang.core.permissions import request_actor
from yiyang.core.web.forms import error_text
from yiyang.scheduling import selectors, services, wording
from yiyang.scheduling.choices import PlanRunKind, PlanRunStatus
from yiyang.scheduling.lifecycle import PlanAction, day_plan_refusal, plan_actions
from yiyang.scheduling.models import PlanRun
from yiyang.scheduling.planning import clock

DAY_START, DAY_END = 7 * 60, 20 * 60
# One colour per caregiver's route (on the map and the timeline); grey is for visits left out.
ROUTE_COLOURS = (
    "#1565c0",
    "#c62828",
    "#2e7d32",
    "#6a1b9a",
    "#ef6c00",
    "#00838f",
    "#ad1457",
    "#4e342e",
    "#827717",
    "#283593",
    "#00695c",
    "#d84315",
)
UNASSIGNED_COLOUR = "#78909c"
# Figures where less is better; for the others (continuity kept) more is better.
FIGURES = (
    ("travel_minutes", True),
    ("lateness_minutes", True),
    ("max_lateness_minutes", True),
    ("unassigned", True),
    ("continuity_kept", False),
    ("overtime_minutes", True),
)


def _figure_labels() -> dict[str, str]:
    return {
        "travel_minutes": _("Travel (minutes)"),
        "lateness_minutes": _("Lateness (minutes)"),
        "max_lateness_minutes": _("Latest start after the window (minutes)"),
        "unassigned": _("Visits unassigned"),
        "continuity_kept": _("Same caregiver as last time"),
        "overtime_minutes": _("Overtime (minutes)"),
    }


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}"


def _figures(run: PlanRun) -> list[dict[str, Any]]:
    """Each figure of today's plan and of the proposal, and the difference (proposal minus
    today), marked better or worse."""
    now, new = run.proposal["current"], run.proposal["proposal"]
    labels = _figure_labels()
    rows = []
    for key, lower_is_better in FIGURES:
        current, proposed = now.get(key), new.get(key)
        diff = None if current is None or proposed is None else round(proposed - current, 1)
        better = None
        if diff:
            better = (diff < 0) == lower_is_better
        of = "continuity_of" if key == "continuity_kept" else None
        rows.append(
            {
                "key": key,
                "label": labels[key],
                "current": _number(current) + (f" / {now[of]}" if of and of in now else ""),
                "proposal": _number(proposed) + (f" / {new[of]}" if of and of in new else ""),
                "diff": "±0"
                if diff == 0
                else (f"+{_number(diff)}" if diff and diff > 0 else _number(diff)),
                "better": better,
            }
        )
    return rows


def _colours(run: PlanRun) -> dict[str, str]:
    return {
        entry["id"]: ROUTE_COLOURS[i % len(ROUTE_COLOURS)]
        for i, entry in enumerate(run.proposal["caregivers"])
    }


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
            rows.setdefault(cid, []).append(
                {
                    "id": row["id"],
                    "left": round((begin - start) * 100 / span, 2),
                    "width": max(0.5, round(row["duration"] * 100 / span, 2)),
                    "start": clock(begin),
                    "end": clock(begin + row["duration"]),
                    "elder": visit.elder.name if visit else "",
                    "changed": row["changed"],
                    "service": visit.item.name if visit else "",
                    "fixed": row["fixed"],
                }
            )
    return rows


def _routes(run: PlanRun, which: str) -> dict[str, list[str]]:
    """Caregiver -> their visits in today's plan or the proposal, in order of start."""
    stops: dict[str, list[tuple[float, str]]] = {}
    for row in run.proposal["visits"]:
        plan = row[which]
        if not plan or plan.get("start") is None:
            continue
        for cid in plan["caregivers"]:
            stops.setdefault(cid, []).append((plan["start"], row["id"]))
    return {cid: [vid for _s, vid in sorted(found)] for cid, found in stops.items()}


def _timeline(
    run: PlanRun,
    names: dict[str, dict[str, Any]],
    start: float,
    span: float,
    colours: dict[str, str],
) -> list[dict[str, Any]]:
    """One entry per caregiver: today's blocks above the proposed ones, on one time axis,
    with the caregiver's route colour and the changes on their proposed route."""
    now = _blocks(run, names, "current", start, span)
    new = _blocks(run, names, "proposed", start, span)
    caregivers = names["caregivers"]
    result = []
    for entry in run.proposal["caregivers"]:
        cid, shift = entry["id"], entry["shift"]
        if not (shift or now.get(cid) or new.get(cid)):
            continue
        result.append(
            {
                "id": cid,
                "caregiver": caregivers.get(cid),
                "now": now.get(cid, []),
                "new": new.get(cid, []),
                "colour": colours.get(cid, UNASSIGNED_COLOUR),
                "shift": f"{clock(shift[0])}–{clock(shift[1])}" if shift else "",
                "changes": len(selectors.route_visit_ids(run=run, caregiver_ids=[cid])),
            }
        )
    return result


def _point(lat: Any, lng: Any) -> list[float] | None:
    if lat is None or lng is None:
        return None
    return [float(lat), float(lng)]


def _map_data(
    run: PlanRun, names: dict[str, dict[str, Any]], colours: dict[str, str]
) -> dict[str, Any]:
    """What the map draws (passed as JSON): each caregiver's route today and proposed
    (visit ids in order) from and back to their home base, and each visit's place."""
    visits, caregivers = names["visits"], names["caregivers"]

    def who(ids: list[str] | None) -> str:
        return "、".join(caregiver_name(caregivers[c]) for c in ids or [] if c in caregivers)

    current, proposed = _routes(run, "current"), _routes(run, "proposed")
    rows = []
    for row in run.proposal["visits"]:
        visit = visits.get(row["id"])
        place = _point(visit.elder.lat, visit.elder.lng) if visit else None
        if place is None:
            continue
        new = row["proposed"] or {}
        rows.append(
            {
                "id": row["id"],
                "at": place,
                "elder": visit.elder.name if visit else "",
                "service": visit.item.name if visit else "",
                "changed": row["changed"],
                "window": f"{clock(row['window'][0])}–{clock(row['window'][1])}",
                "now": {
                    "who": who(row["current"]["caregivers"]),
                    "start": clock(row["current"].get("start")),
                },
                "new": {"who": who(new.get("caregivers")), "start": clock(new.get("start"))},
                "planned_now": bool(row["current"]["caregivers"]),
                "planned_new": bool(new.get("caregivers")),
                "reason": wording.reason_text(
                    row.get("unassigned"), visit.elder.name if visit else ""
                ),
            }
        )
    routes = []
    for entry in run.proposal["caregivers"]:
        cid = entry["id"]
        if not (current.get(cid) or proposed.get(cid)):
            continue
        c = caregivers.get(cid)
        routes.append(
            {
                "id": cid,
                "name": caregiver_name(c) if c else "",
                "colour": colours[cid],
                "home": _point(c.home_lat, c.home_lng) if c else None,
                "now": current.get(cid, []),
                "new": proposed.get(cid, []),
            }
        )
    return {
        "routes": routes,
        "visits": rows,
        "unassignedColour": UNASSIGNED_COLOUR,
        "texts": {
            "home": _("Home base"),
            "now": _("Today's plan"),
            "new": _("Proposal"),
            "notPlanned": _("Not planned"),
            "unassigned": _("unassigned"),
            "window": _("Window"),
            "start": _("Start"),
        },
    }


def _summary(run: PlanRun) -> dict[str, int]:
    """How many assignments the proposal changes, how many visits without a caregiver get
    one; after a dropout, how many of the dropped
    caregiver's visits go to others or stay unplanned, and how many of the other
    caregivers' own visits move (as few as possible)."""
    dropped = str(run.dropped_caregiver.external_id) if run.dropped_caregiver else None
    changed = moved = left = others = gaining = 0
    for row in run.proposal["visits"]:
        if not row["changed"]:
            continue
        changed += 1
        if not row["current"]["caregivers"]:
            gaining += 1
        if dropped is None:
            continue
        if dropped in row["current"]["caregivers"]:
            if row["proposed"]:
                moved += 1
            else:
                left += 1
        elif row["current"]["caregivers"]:
            others += 1
    return {"changed": changed, "gaining": gaining, "moved": moved, "left": left, "others": others}


def _accepted(run: PlanRun, names: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """What accepting did, with the refused visits named and their reasons."""
    if run.accepted_at is None:
        return None
    result = run.accept_result or {}
    visits = names["visits"]

    def named(vid: str) -> dict[str, Any]:
        visit = visits.get(vid)
        return {
            "id": vid,
            "elder": visit.elder.name if visit else "",
            "service": visit.item.name if visit else "",
        }

    return {
        "at": run.accepted_at,
        "assigned": [named(v) for v in result.get("assigned", [])],
        "unassigned": [named(v) for v in result.get("unassigned", [])],
        "refused": [
            {**named(v), "reasons": [services.accept_refusal_text(r) for r in reasons]}
            for v, reasons in result.get("refused", {}).items()
        ],
    }


def _elder_name(visit: Any) -> str:
    return visit.elder.name if visit is not None else ""


def _context(request: HttpRequest, run: PlanRun) -> dict[str, Any]:
    actor = request_actor(request)
    actions = plan_actions(actor=actor, run=run)
    context: dict[str, Any] = {
        "run": run,
        "ready": run.status == PlanRunStatus.DONE,
        "working": run.status in (PlanRunStatus.QUEUED, PlanRunStatus.RUNNING),
        "board_url": f"{reverse('visits:board')}?date={run.day.isoformat()}",
        "can_replan": PlanAction.REPLAN in actions,
        "can_accept": PlanAction.ACCEPT in actions,
    }
    if context["can_replan"]:
        context["dropout_choices"] = selectors.dropout_choices(
            actor=actor, provider=run.provider, day=run.day
        )
    if not context["ready"]:
        return context
    names = selectors.plan_run_names(run=run)
    rows = run.proposal["visits"]
    starts = [r["window"][0] for r in rows] + [DAY_START]
    ends = [r["window"][1] for r in rows] + [DAY_END]
    start, end = (min(starts) // 60) * 60, -(-max(ends) // 60) * 60
    span = max(60.0, end - start)
    visits, caregivers = names["visits"], names["caregivers"]
    colours = _colours(run)

    def who(ids: list[str] | None) -> str:
        return "、".join(caregiver_name(caregivers[c]) for c in ids or [] if c in caregivers)

    context.update(
        {
            "timeline": _timeline(run, names, start, span, colours),
            "hours": [
                {"label": f"{h // 60:02d}", "left": round((h - start) * 100 / span, 2)}
                for h in range(int(start), int(end) + 1, 60)
            ],
            "figures": _figures(run),
            "summary": _summary(run),
            "map_data": _map_data(run, names, colours),
            "changes": [
                {
                    "id": r["id"],
                    "visit": visits.get(r["id"]),
                    "window": f"{clock(r['window'][0])}–{clock(r['window'][1])}",
                    "current": who(r["current"]["caregivers"]),
                    "proposed": who((r["proposed"] or {}).get("caregivers")),
                    "start": clock((r["proposed"] or {}).get("start")),
                    "refusals": [services.accept_refusal_text(x) for x in r.get("refusals", [])],
                    # the routes the visit belongs to (ticking a route ticks its visits)
                    "routes": " ".join(
                        (r["proposed"] or {}).get("caregivers") or r["current"]["caregivers"]
                    ),
                    "colour": colours.get(
                        ((r["proposed"] or {}).get("caregivers") or [""])[0], UNASSIGNED_COLOUR
                    ),
                }
                for r in rows
                if r["changed"]
            ],
            "unassigned": [
                {
                    "visit": visits.get(u["visit"]),
                    "id": u["visit"],
                    "message": wording.reason_text(u, _elder_name(visits.get(u["visit"]))),
                }
                for u in run.proposal["unassigned"]
            ],
            "notes": [
                wording.note_text(
                    n, lambda c: caregiver_name(caregivers[c]) if c in caregivers else ""
                )
                for n in run.proposal.get("notes", [])
            ],
            "accepted": _accepted(run, names),
        }
    )
    return context


def _accept(request: HttpRequest, run: PlanRun) -> HttpResponse:
    """Accept all of the proposal (``action=all``), or the ticked visits and routes."""
    actor = request_actor(request)
    if request.POST.get("action") == "all":
        visit_ids, caregiver_ids = None, None
    else:
        visit_ids = request.POST.getlist("visits")
        caregiver_ids = request.POST.getlist("caregivers")
    try:
        result = services.plan_accept(
            actor=actor, run=run, visit_ids=visit_ids, caregiver_ids=caregiver_ids
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("scheduling:plan", external_id=run.external_id)
    messages.success(
        request, _("%(n)d visit(s) assigned as proposed.") % {"n": len(result.assigned)}
    )
    if result.unassigned:
        messages.warning(
            request,
            _("%(n)d visit(s) left out of the plan are now unassigned.")
            % {"n": len(result.unassigned)},
        )
    if result.refused:
        messages.error(
            request,
            _("The dispatch rules refused %(n)d visit(s); see below why.")
            % {"n": len(result.refused)},
        )
    return redirect("scheduling:plan", external_id=run.external_id)


@login_required
def plan_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    run = selectors.plan_run_get_for_actor(actor=actor, external_id=external_id)
    if request.method == "POST":
        return _accept(request, run)
    return render(request, "scheduling/plan.html", _context(request, run))


@login_required
@require_GET
def plan_progress_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The progress bar, fetched again every second while the run works (htmx); once the
    run is done or failed, htmx is told to load the whole page again."""
    actor = request_actor(request)
    run = selectors.plan_run_get_for_actor(actor=actor, external_id=external_id)
    if run.status in (PlanRunStatus.QUEUED, PlanRunStatus.RUNNING):
        return render(request, "scheduling/_progress.html", {"run": run, "working": True})
    response = HttpResponse("")
    response["HX-Refresh"] = "true"
    return response


def _day(raw: str) -> datetime.date | None:
    try:
        return parse_date(raw.strip()) if raw else None
    except ValueError:  # well formed, but no such day (2026-02-30)
        return None


def _limits(kind: str) -> tuple[float, int | None]:
    """The time limit and iteration cap of a run started from the pages (settings
    ``SCHEDULING_TIME_LIMIT``, ``SCHEDULING_REPLAN_TIME_LIMIT`` and
    ``SCHEDULING_MAX_ITERATIONS``; tests and the demo keep them short)."""
    if kind == PlanRunKind.REPLAN:
        limit = getattr(settings, "SCHEDULING_REPLAN_TIME_LIMIT", services.REPLAN_TIME_LIMIT)
    else:
        limit = getattr(settings, "SCHEDULING_TIME_LIMIT", services.DEFAULT_TIME_LIMIT)
    return float(limit), getattr(settings, "SCHEDULING_MAX_ITERATIONS", None)


@login_required
@require_POST
def plan_start_view(request: HttpRequest) -> HttpResponse:
    """Start "optimise this day" for the manager's provider (``date``, optional
    ``time_limit`` in seconds), or, with ``caregiver``, re-plan the day without that
    caregiver; then show the run's page. For a button on the dispatch board."""
    actor = request_actor(request)
    provider = selectors.manager_provider(actor=actor)
    raw_day = request.POST.get("date") or ""
    day = _day(raw_day)
    back = request.POST.get("back") or "board"
    try:
        chosen = request.POST.get("caregiver")
        if chosen is not None:
            caregiver = (
                selectors.provider_caregiver(provider=provider, external_id=chosen)
                if chosen
                else None
            )
            if caregiver is None:
                raise ValidationError({"caregiver": _("Choose a caregiver of this provider.")})
            limit, cap = _limits(PlanRunKind.REPLAN)
            run = services.replan_after_dropout(
                actor=actor,
                provider=provider,
                day=day,
                caregiver=caregiver,
                time_limit=request.POST.get("time_limit") or limit,
                max_iterations=cap,
            )
        else:
            limit, cap = _limits(PlanRunKind.OPTIMISE)
            run = services.plan_run_start(
                actor=actor,
                provider=provider,
                day=day,
                time_limit=request.POST.get("time_limit") or limit,
                max_iterations=cap,
            )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        # back to the page the form was on, on its day (no day when the date was no date)
        query = f"?{urlencode({'date': day.isoformat()})}" if day else ""
        return redirect(
            reverse("scheduling:replan" if back == "replan" else "visits:board") + query
        )
    return redirect("scheduling:plan", external_id=run.external_id)


@login_required
@require_GET
def day_view(request: HttpRequest) -> HttpResponse:
    """The optimiser's runs of one day (newest first, each with its main figures) and the
    form to re-plan the day after a caregiver drops out."""
    actor = request_actor(request)
    provider = selectors.manager_provider(actor=actor)
    day = _day(request.GET.get("date") or "") or timezone.localdate()
    runs = []
    for run in selectors.plan_run_list(actor=actor, provider=provider, day=day)[:10]:
        figures = run.proposal.get("current"), run.proposal.get("proposal")
        runs.append({"run": run, "now": figures[0] or {}, "new": figures[1] or {}})
    return render(
        request,
        "scheduling/day.html",
        {
            "provider": provider,
            "day": day,
            "runs": runs,
            "can_replan": day_plan_refusal(day) is None,
            "choices": selectors.dropout_choices(actor=actor, provider=provider, day=day),
            "board_url": f"{reverse('visits:board')}?date={day.isoformat()}",
        },
    )
