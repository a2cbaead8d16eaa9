"""The provider's dispatch board: each caregiver's day on a time line, with each visit at its
planned start (as the dispatch rules time the day: in order of planned starts, each as early
as its booking window, the working hours and the travel from the previous visit allow), the
travel before it, its booking window behind it, and the real conflicts marked: a visit that
cannot start in its window because the one before it (with the travel) runs into it. Two
visits whose windows overlap but that fit one after the other are no conflict."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from yiyang.core.display import caregiver_name
from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.visits import dispatch_facts, dispatching, selectors
from yiyang.visits.choices import ReviewStatus, VisitStatus
from yiyang.visits.models import Visit

DAY_START, DAY_END = 7 * 60, 20 * 60  # the board's timeline: 07:00-20:00
SPAN = DAY_END - DAY_START
BOARD_HOURS = list(range(7, 21))
_URL_PLACEHOLDER = uuid.UUID(int=0)


def _day(request: HttpRequest) -> datetime.date:
    """The day asked for; today when none is given or it is not a real date (2026-02-30)."""
    try:
        return parse_date(request.GET.get("date") or "") or timezone.localdate()
    except ValueError:
        return timezone.localdate()


class _BoardText:
    """What every row of the board repeats, worked out once per request: the detail and
    assign addresses (one ``reverse`` each, not one per visit) and the status labels (a
    model's ``get_FOO_display`` rebuilds its choices on every call). A board lays out about
    130 visits; rendering them was most of the page's time."""

    def __init__(self) -> None:
        self.detail = reverse("visits:detail", args=[_URL_PLACEHOLDER])
        self.assign = reverse("visits:assign", args=[_URL_PLACEHOLDER])
        self.status = {value: str(label) for value, label in VisitStatus.choices}

    def url(self, template: str, visit: Visit) -> str:
        return template.replace(str(_URL_PLACEHOLDER), str(visit.external_id))


def _row(visit: Visit, text: _BoardText) -> dict[str, Any]:
    """One visit of the board's tables, as flat values (cheap for the template to read)."""
    return {
        "id": visit.external_id,
        "time": (
            f"{timezone.localtime(visit.window_start):%H:%M}"
            f"–{timezone.localtime(visit.window_end):%H:%M}"
        ),
        "elder": visit.elder.name,
        "address": visit.elder.address,
        "item": visit.item.name,
        "needs_two": visit.needs_two,
        "status": visit.status,
        "status_label": text.status.get(visit.status, visit.status),
        "url": text.url(text.detail, visit),
        "assign_url": text.url(text.assign, visit),
    }


def _span(first: float, last: float) -> tuple[str, str]:
    """Left and width (percent, pre-formatted: a float in a template is localised)."""
    first = max(DAY_START, min(first, DAY_END - 5))
    last = max(first + 5, min(last, DAY_END))
    return f"{(first - DAY_START) * 100 / SPAN:.2f}", f"{(last - first) * 100 / SPAN:.2f}"


def _timed(visits: list[Visit], worker: dispatching.Worker) -> dict[int, Any]:
    """Visit pk -> (planned start, travel before, the visit it runs into or None)."""
    live = [v for v in visits if v.status not in (VisitStatus.CANCELLED, VisitStatus.MISSED)]
    if not live:
        return {}
    by_id = {str(v.external_id): v for v in live}
    timing = dispatching.time_day([dispatch_facts.visit_booking(v) for v in live], worker)
    found = {}
    for i, booking in enumerate(timing.bookings):
        clash = timing.bookings[i - 1] if i and timing.late(i, worker) else None
        found[by_id[booking.id].pk] = (timing.starts[i], timing.travel[i], clash)
    return found


def _block(visit: Visit, text: _BoardText, timed: tuple[float, float, Any] | None) -> Any:
    """One visit on a caregiver's timeline: its booking window, the travel before it and
    the service at its planned start (real times once checked in)."""
    day = visit.date
    first = dispatch_facts.visit_minute(visit.window_start, day)
    last = dispatch_facts.visit_minute(visit.window_end, day)
    start, travel, clash = timed if timed else (first, 0.0, None)
    end = start + visit.standard_minutes
    if visit.check_out_at is not None and visit.check_in_at is not None:
        end = dispatch_facts.visit_minute(visit.check_out_at, day)
    classes = f"tl-block st-{visit.status}"
    if visit.is_late and visit.check_in_at is None:
        classes += " late"
    if visit.review_status == ReviewStatus.PENDING:
        classes += " flagged"
    if clash is not None:
        classes += " conflict"
    elder, item = visit.elder.name, visit.item.name
    window = f"{dispatching.clock(first)}–{dispatching.clock(last)}"
    title = _("%(start)s planned (window %(window)s, %(travel)d min of travel before)") % {
        "start": dispatching.clock(start),
        "window": window,
        "travel": round(travel),
    }
    title = f"{title} {elder} · {item} · {text.status.get(visit.status, visit.status)}"
    if clash is not None:
        title += " · " + _("Conflict: runs into %(service)s (%(elder)s)") % {
            "service": clash.service,
            "elder": clash.elder,
        }
    left, width = _span(start, end)
    window_left, window_width = _span(first, last)
    travel_left, travel_width = _span(start - travel, start)
    return {
        "id": visit.external_id,
        "classes": classes,
        "left": left,
        "width": width,
        "window_left": window_left,
        "window_width": window_width,
        "travel": travel >= 1,
        "travel_left": travel_left,
        "travel_width": travel_width,
        "url": text.url(text.detail, visit),
        "title": title,
        "conflict": clash is not None,
        "label": f"{dispatching.clock(start)} {elder}",
    }


def _now_left(day: datetime.date) -> float | None:
    """Where "now" falls on the board's timeline (percent), when the board shows today."""
    now = timezone.localtime()
    minute = now.hour * 60 + now.minute
    if day != now.date() or not DAY_START <= minute <= DAY_END:
        return None
    return round((minute - DAY_START) * 100 / SPAN, 2)


def _caregiver_row(c: Any, visits: list[Visit], worker: Any, text: _BoardText) -> Any:
    timed = _timed(visits, worker)
    blocks = [_block(v, text, timed.get(v.pk)) for v in visits]
    return {
        "id": c.external_id,
        "name": caregiver_name(c),
        "hours": f"{c.work_start:%H:%M}–{c.work_end:%H:%M}",
        "blocks": blocks,
        "conflicts": sum(b["conflict"] for b in blocks),
    }


def _board_context(request: HttpRequest) -> dict[str, Any]:
    actor = request_actor(request)
    require_perm(actor, Permission.DISPATCH_VISITS)
    provider = getattr(request.user, "organisation", None)
    if provider is None:
        raise Http404
    day = _day(request)
    board = selectors.dispatch_board(actor=actor, provider=provider, day=day)
    text = _BoardText()
    workers = {w.pk: w for w in dispatch_facts.caregiver_workers([c for c, _v in board.rows], day)}
    rows = [_caregiver_row(c, vs, workers[c.pk], text) for c, vs in board.rows]
    return {
        "provider": provider,
        "board": board,
        "day": day,
        "rows": rows,
        "conflicts": sum(r["conflicts"] for r in rows),
        "late": [_row(v, text) for v in board.late],
        "missed": [_row(v, text) for v in board.missed],
        "unassigned": [_row(v, text) for v in board.unassigned],
        "hours": [
            {"label": f"{h:02d}", "left": round((h * 60 - DAY_START) * 100 / SPAN, 2)}
            for h in BOARD_HOURS
        ],
        "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1),
        "now": timezone.localtime().strftime("%H:%M:%S"),
        "now_left": _now_left(day),
    }


@login_required
def board_view(request: HttpRequest) -> HttpResponse:
    return render(request, "visits/board.html", _board_context(request))


@login_required
def board_partial_view(request: HttpRequest) -> HttpResponse:
    """The board's live part, fetched again every 15 s."""
    return render(request, "visits/_board.html", _board_context(request))
