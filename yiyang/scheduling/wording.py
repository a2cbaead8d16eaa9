"""Words for what a plan run stores as codes: why a visit was left out, and the run's notes.

A run's proposal stores ``{"code": ..., "params": {...}}`` (ids, never names or sentences);
the words are chosen here when a page or an API answer is rendered, in the reader's
language (issue 20's rule: store codes, render words). Rows stored before the codes keep
working: an unassigned entry with a known code is worded from the code, otherwise its stored
``message``; a note that is a plain string is shown as it was stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

# unassigned reasons (the solver's UnassignedReason values and the planner's own codes)
NO_SKILL = "no_skill"
WINDOW_IMPOSSIBLE = "window_impossible"
SHIFT_TOO_SHORT = "shift_too_short"
SEQUENTIAL_GAP_IMPOSSIBLE = "sequential_gap_impossible"
NO_FEASIBLE_INSERTION = "no_feasible_insertion"
DOUBLE_BOOKED = "double_booked"
NO_LOCATION = "no_location"
WINDOW_TOO_SHORT = "window_too_short"
OUTSIDE_HOURS = "outside_hours"

# notes
NOTE_NO_HOME = "no_home_location"
NOTE_NOT_WORKING = "not_working"
NOTE_TRAVEL_FALLBACK = "travel_fallback"
NOTE_SOLVER = "solver_note"


def _no_location(params: Mapping[str, Any], name: str) -> str:
    if name:
        return _(
            "The home of %(name)s has no coordinates, so distances and the check-in place "
            "cannot be checked. A community worker places it on the map from the list of "
            "elders without a map location."
        ) % {"name": name}
    return _(
        "The elder's home has no coordinates, so the visit cannot be planned. A community "
        "worker places it on the map from the list of elders without a map location."
    )


def clock(minutes: float | None) -> str:
    """Minutes from midnight as HH:MM."""
    if minutes is None:
        return ""
    whole = round(minutes)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _no_skill(params: Mapping[str, Any], name: str) -> str:
    if "needs" in params:  # the planner's check: nobody of the provider has it at all
        return _(
            "No caregiver of the provider has what this service needs (%(needs)s), "
            "with a certificate valid on the day."
        ) % {"needs": ", ".join(params["needs"])}
    return _(
        "No caregiver working that day may do this service (skill, valid certificate, "
        "working hours, or it needs two)."
    )


def _window_too_short(params: Mapping[str, Any], name: str) -> str:
    return _(
        "The window %(start)s-%(end)s (%(window)d min) is shorter than the service "
        "(%(duration)d min)."
    ) % {
        "start": clock(params.get("start")),
        "end": clock(params.get("end")),
        "window": params.get("window", 0),
        "duration": params.get("duration", 0),
    }


def _outside_hours(params: Mapping[str, Any], name: str) -> str:
    return _(
        "No caregiver who may do this service works long enough inside the window "
        "%(start)s-%(end)s that day%(two)s."
    ) % {
        "start": clock(params.get("start")),
        "end": clock(params.get("end")),
        "two": _(" (it needs two)") if params.get("two") else "",
    }


REASONS: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    NO_SKILL: _no_skill,
    WINDOW_TOO_SHORT: _window_too_short,
    OUTSIDE_HOURS: _outside_hours,
    WINDOW_IMPOSSIBLE: lambda p, n: _("The time window cannot be kept."),
    SHIFT_TOO_SHORT: lambda p, n: _(
        "No caregiver who may do it can reach the elder and finish the service within the "
        "window and their working hours."
    ),
    SEQUENTIAL_GAP_IMPOSSIBLE: lambda p, n: _("The two services cannot be spaced as required."),
    NO_FEASIBLE_INSERTION: lambda p, n: _(
        "Every caregiver who may do it is fully booked around that time (working hours, "
        "maximum working minutes, or another visit in an overlapping window)."
    ),
    DOUBLE_BOOKED: lambda p, n: _(
        "Every caregiver who may do it already has another visit in an overlapping "
        "window, or would work more minutes than allowed that day."
    ),
    NO_LOCATION: _no_location,
}


def reason(code: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a proposal stores for a visit left out."""
    return {"code": code, "params": dict(params or {})}


def note(code: str, **params: Any) -> dict[str, Any]:
    """What a proposal stores as a note."""
    return {"code": code, "params": params}


def reason_text(entry: Mapping[str, Any] | None, elder_name: str = "") -> str:
    """The words for a stored unassigned entry (``{"code", "params"}``, or an older row with
    a ``message``), in the active language; ``elder_name`` when the reader may see it."""
    if not entry:
        return ""
    worded = REASONS.get(str(entry.get("code", "")))
    if worded is not None:
        return worded(entry.get("params") or {}, elder_name)
    return str(entry.get("message", ""))


def note_text(item: Any, caregiver_name: Callable[[str], str | None] = lambda key: "") -> str:
    """The words for a stored note; ``caregiver_name(id)`` names a caregiver for the reader
    (empty when unknown). A plain string (a row stored before the codes) is shown as is."""
    if not isinstance(item, Mapping):
        return str(item)
    code = item.get("code")
    params = item.get("params") or {}
    name = caregiver_name(str(params.get("caregiver", ""))) or _("A caregiver")
    if code == NOTE_NO_HOME:
        return _("%(name)s has no home location; the centre of the day's visits is used.") % {
            "name": name
        }
    if code == NOTE_NOT_WORKING:
        return _("%(name)s does not work that day.") % {"name": name}
    if code == NOTE_TRAVEL_FALLBACK:
        return _(
            "The road network service did not answer; travel times were estimated from "
            "straight-line distances."
        )
    return str(params.get("text", ""))


def solver_notes(notes: list[str]) -> list[dict[str, Any]]:
    """The solver's own notes (English, for logs) as codes for the proposal. Its "caregiver
    <id> has no shift" repeats the day's own note, which names the caregiver."""
    coded = []
    for text in notes:
        if "has no shift" in text:
            continue
        if text.startswith("travel service"):
            coded.append(note(NOTE_TRAVEL_FALLBACK))
        else:
            coded.append(note(NOTE_SOLVER, text=text))
    return coded
