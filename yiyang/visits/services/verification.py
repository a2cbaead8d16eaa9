"""The visit's lifecycle on the caregiver's phone: setting off, check-in and check-out with
their location, and the flags they raise."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.alerts.choices import AlertKind, AlertSource
from yiyang.alerts.services import alert_raise
from yiyang.core import clock
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.models import Elder
from yiyang.services.models import Caregiver
from yiyang.services.selectors import caregiver_of_user
from yiyang.visits.choices import (
    FlagCode,
    VisitOutcome,
)
from yiyang.visits.lifecycle import (
    SECOND_CHECK_IN,
    SECOND_CHECK_OUT,
    Performer,
    VisitAction,
    is_second_caregiver,
    second_presence_of,
    visit_action_check,
)
from yiyang.visits.models import (
    Visit,
    VisitEvent,
    VisitFlag,
)
from yiyang.visits.rules import (
    Facts,
    cross_visit_flags,
    location_errors,
    single_visit_flags,
)
from yiyang.visits.services import transitions
from yiyang.visits.services.common import (
    Fix,
    _audit,
    _event,
    _locked,
    _when,
)


def _require_performer(actor: Actor, visit: Visit) -> Caregiver:
    require_perm(actor, Permission.PERFORM_VISITS)
    caregiver = caregiver_of_user(actor)
    if caregiver is None or caregiver.pk not in (visit.caregiver_id, visit.second_caregiver_id):
        raise PermissionDenied("not your visit")
    return caregiver


def _replayed(fix: Fix, visit: Visit, kind: str) -> bool:
    """A queued action sent again (the answer was lost on a bad line) is applied once; an
    action id already used for another visit or action is refused, not silently ignored."""
    if fix.client_action_id is None:
        return False
    event = VisitEvent.objects.filter(client_action_id=fix.client_action_id).first()
    if event is None:
        return False
    if event.visit_id != visit.pk or event.kind != kind:
        raise ValidationError(
            {
                "client_action_id": _(
                    "This action id was already used for another action; send a new one."
                )
            }
        )
    return True


def visit_facts(visit: Visit, *, elder: Elder | None = None, key: int | None = None) -> Facts:
    """What the flag rules read of a visit (and its elder); ``key`` names it in a batch
    that is not stored yet (the demo's history), else its primary key."""
    elder = elder or visit.elder
    return Facts(
        visit_id=visit.pk if key is None else key,
        caregiver_ids=tuple(c for c in (visit.caregiver_id, visit.second_caregiver_id) if c),
        standard_minutes=visit.standard_minutes,
        check_in_at=visit.check_in_at,
        check_out_at=visit.check_out_at,
        in_lat=visit.check_in_lat,
        in_lng=visit.check_in_lng,
        out_lat=visit.check_out_lat,
        out_lng=visit.check_out_lng,
        in_distance=visit.check_in_distance,
        out_distance=visit.check_out_distance,
        outcome=visit.outcome,
        elder_status=elder.status,
        elder_status_since=elder.deceased_on or elder.status_changed_on,
        date=visit.date,
    )


def _neighbour_facts(visit: Visit) -> list[Facts]:
    ids = [c for c in (visit.caregiver_id, visit.second_caregiver_id) if c]
    others = (
        Visit.objects.filter(Q(caregiver_id__in=ids) | Q(second_caregiver_id__in=ids))
        .filter(
            date__gte=visit.date - datetime.timedelta(days=1),
            date__lte=visit.date + datetime.timedelta(days=1),
        )
        .filter(Q(check_in_at__isnull=False) | Q(check_out_at__isnull=False))
        .exclude(pk=visit.pk)
        .select_related("elder")
    )
    return [visit_facts(v) for v in others] + [visit_facts(visit)]


def _raise_flags(
    visit: Visit, found: list[tuple[str, str]], explanation: str = ""
) -> list[VisitFlag]:
    """Store new flags (one per code) and put the visit up for review."""
    existing = set(visit.flags.values_list("code", flat=True))
    review_status = visit.review_status
    new = transitions.flag_rows(visit, found, existing, explanation)
    for flag in new:
        flag.save()
    if visit.review_status != review_status:
        visit.save(update_fields=["review_status", "updated_at"])
    return new


def _check_flags(visit: Visit, explanation: str = "") -> list[VisitFlag]:
    facts = visit_facts(visit)
    found = single_visit_flags(
        facts,
        radius_m=settings.VISIT_CHECK_IN_RADIUS_M,
        too_short_percent=settings.VISIT_TOO_SHORT_PERCENT,
    )
    cross = cross_visit_flags(_neighbour_facts(visit), max_speed_kmh=settings.VISIT_MAX_SPEED_KMH)
    found += cross.get(visit.pk, [])
    found += transitions.home_findings(visit)
    for other_id, flags in cross.items():
        if other_id != visit.pk:
            other = Visit.objects.get(pk=other_id)
            _raise_flags(other, [f for f in flags if f[0] == FlagCode.OVERLAP])
    return _raise_flags(visit, found, explanation)


@transaction.atomic
def visit_set_off(
    *,
    actor: Actor,
    visit: Visit,
    at: datetime.datetime | None = None,
    client_action_id: uuid.UUID | None = None,
) -> Visit:
    """The caregiver sets off to the visit (no location is taken on the way)."""
    _require_performer(actor, visit)
    visit = _locked(visit)
    if _replayed(Fix(None, None, None, client_action_id=client_action_id), visit, "on_the_way"):
        return visit
    visit_action_check(actor=actor, visit=visit, action=VisitAction.SET_OFF)
    now = clock.now()
    when = _when(Fix(None, None, None, at=at), visit, now)
    transitions.set_off(visit, when)
    visit.save(update_fields=transitions.SET_OFF_FIELDS)
    _event(visit, "on_the_way", when, actor, client_action_id)
    return visit


def _second_presence(
    actor: Actor, caregiver: Caregiver, visit: Visit, fix: Fix, kind: str, explanation: str
) -> Visit:
    """Record the second caregiver's check-in or check-out: time and place, compared with
    the elder's address (out of range is a flag, as for the lead). Checking out without a
    check-in is allowed and flagged, as for the lead."""
    if _replayed(fix, visit, kind):
        return visit
    done = second_presence_of(visit)
    action = VisitAction.CHECK_IN if kind == SECOND_CHECK_IN else VisitAction.CHECK_OUT
    performer = Performer(caregiver, True, done)
    visit_action_check(actor=actor, visit=visit, action=action, performer=performer)
    _location(fix)
    now = clock.now()
    when = _when(fix, visit, now)
    if kind == SECOND_CHECK_OUT and SECOND_CHECK_IN in done and when < done[SECOND_CHECK_IN].at:
        raise ValidationError(
            {
                "at": _("Check-out cannot come before the check-in at %(time)s.")
                % {"time": timezone.localtime(done[SECOND_CHECK_IN].at).strftime("%H:%M")}
            }
        )
    checked_in = None if kind == SECOND_CHECK_IN else SECOND_CHECK_IN in done
    detail, found = transitions.second_presence(visit, caregiver, fix, (when, now), checked_in)
    _event(visit, kind, when, actor, fix.client_action_id, detail)
    _raise_flags(visit, found, explanation)
    _audit(actor, AuditAction.UPDATE, visit, visit.division_code, {"presence": kind})
    return visit


def _location(fix: Fix) -> None:
    errors = location_errors(
        fix.latitude, fix.longitude, fix.accuracy, max_accuracy=settings.VISIT_MAX_ACCURACY_M
    )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def visit_check_in(*, actor: Actor, visit: Visit, fix: Fix, explanation: str = "") -> Visit:
    """Check in at the elder's door: the time and the phone's location (taken now and at
    check-out only), compared with the elder's address. Out of range is a flag, not a block.

    On a two-caregiver visit the second caregiver checks in and out too: their own presence
    is recorded (time, place, distance) without moving the visit, which the lead runs."""
    caregiver = _require_performer(actor, visit)
    visit = _locked(visit)
    if is_second_caregiver(visit, caregiver):
        return _second_presence(actor, caregiver, visit, fix, SECOND_CHECK_IN, explanation)
    if _replayed(fix, visit, "check_in"):
        return visit
    lead = Performer(caregiver, False)
    visit_action_check(actor=actor, visit=visit, action=VisitAction.CHECK_IN, performer=lead)
    _location(fix)
    now = clock.now()
    when = _when(fix, visit, now)
    detail, changes = transitions.check_in(visit, fix, when, now)
    visit.save(update_fields=transitions.CHECK_IN_FIELDS)
    _event(visit, "check_in", when, actor, fix.client_action_id, detail)
    _check_flags(visit, explanation)
    _audit(actor, AuditAction.UPDATE, visit, visit.division_code, changes)
    return visit


@transaction.atomic
def _check_out_errors(visit: Visit, fix: Fix, tasks: list[str], notes: str, outcome: str) -> None:
    """Everything wrong with a check-out's input, at once (nothing is written)."""
    errors: dict[str, str] = {}
    if outcome not in VisitOutcome.values:
        errors["outcome"] = _("Choose an outcome from the list.")
    unknown = [t for t in tasks if t not in visit.item.checklist]
    if unknown:
        errors["tasks_done"] = _("Not on this service's checklist: %(tasks)s.") % {
            "tasks": ", ".join(unknown)
        }
    if (
        outcome in (VisitOutcome.NOT_HOME, VisitOutcome.REFUSED, VisitOutcome.UNWELL)
        and not str(notes).strip()
    ):
        errors["notes"] = _("Say what happened (a note is needed for this outcome).")
    try:
        _location(fix)
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)


def _check_out_flags(visit: Visit, outcome: str, explanation: str, now: datetime.datetime) -> None:
    """Raise the check-out's flags; a visit done with no flag and no review is confirmed."""
    found = _check_flags(visit, explanation)
    if visit.needs_two and not visit.events.filter(kind=SECOND_CHECK_IN).exists():
        found += _raise_flags(visit, [transitions.no_second_finding()], explanation)
    _raise_flags(visit, transitions.outcome_findings(outcome), explanation)
    if transitions.confirm_if_clean(visit, bool(found), outcome, now):
        visit.save(update_fields=transitions.CONFIRM_FIELDS)


@transaction.atomic
def visit_check_out(
    *,
    actor: Actor,
    visit: Visit,
    fix: Fix,
    tasks_done: list[str] | None = None,
    notes: str = "",
    outcome: str = VisitOutcome.DONE,
    explanation: str = "",
) -> Visit:
    """Check out: time, location, the checklist ticked, notes and the outcome. An elder
    found unwell raises an alert for the call centre once the write has committed. The second
    caregiver of a two-caregiver visit checks out their own presence only."""
    caregiver = _require_performer(actor, visit)
    visit = _locked(visit)
    if is_second_caregiver(visit, caregiver):
        return _second_presence(actor, caregiver, visit, fix, SECOND_CHECK_OUT, explanation)
    if _replayed(fix, visit, "check_out"):
        return visit
    lead = Performer(caregiver, False)
    visit_action_check(actor=actor, visit=visit, action=VisitAction.CHECK_OUT, performer=lead)
    tasks = [str(t) for t in (tasks_done or [])]
    _check_out_errors(visit, fix, tasks, notes, outcome)
    now = clock.now()
    when = _when(fix, visit, now)
    if visit.check_in_at is not None and when < visit.check_in_at:
        raise ValidationError(
            {
                "at": _("Check-out cannot come before the check-in at %(time)s.")
                % {"time": timezone.localtime(visit.check_in_at).strftime("%H:%M")}
            }
        )
    detail = transitions.check_out(visit, fix, when, (tasks, notes, outcome))
    visit.save(update_fields=transitions.CHECK_OUT_FIELDS)
    _event(visit, "check_out", when, actor, fix.client_action_id, detail)
    _check_out_flags(visit, outcome, explanation, now)
    _audit(
        actor,
        AuditAction.UPDATE,
        visit,
        visit.division_code,
        transitions.check_out_changes(visit, outcome),
    )
    if outcome == VisitOutcome.UNWELL:
        transaction.on_commit(lambda: _alert_unwell(visit, actor))
    return visit


def _alert_unwell(visit: Visit, actor: Actor) -> None:
    """An elder found unwell at a visit is an alert for the call centre (after the visit's
    write has committed: the check-out stands even if raising the alert fails)."""
    detail = _("%(caregiver)s at %(service)s: %(notes)s") % {
        "caregiver": visit.caregiver.name if visit.caregiver else "",
        "service": visit.item.name,
        "notes": visit.notes,
    }
    alert_raise(
        elder=visit.elder,
        kind=AlertKind.FOUND_UNWELL,
        detail=detail,
        source=AlertSource.VISIT,
        actor=actor,
        dedupe_key=f"visit:{visit.external_id}",
    )
