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
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.models import Elder
from yiyang.elders.selectors import home_unlocated_reason
from yiyang.services.models import Caregiver
from yiyang.services.selectors import caregiver_of_user
from yiyang.visits.choices import (
    FlagCode,
    ReviewStatus,
    VisitOutcome,
    VisitStatus,
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
    distance_m,
    location_errors,
    single_visit_flags,
)
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


def _elder_distance(visit: Visit, lat: float, lng: float) -> float | None:
    elder = visit.elder
    if elder.lat is None or elder.lng is None:
        return None
    return distance_m(float(elder.lat), float(elder.lng), lat, lng)


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
    new = []
    existing = set(visit.flags.values_list("code", flat=True))
    for code, detail in found:
        if code in existing:
            continue
        existing.add(code)
        new.append(
            VisitFlag.objects.create(
                visit=visit, code=code, detail=str(detail)[:300], explanation=explanation[:500]
            )
        )
    if new and visit.review_status in (ReviewStatus.NONE, ReviewStatus.ACCEPTED):
        visit.review_status = ReviewStatus.PENDING
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
    if visit.elder.lat is None or visit.elder.lng is None:  # said, not silently skipped
        found.append((FlagCode.NO_HOME_LOCATION, home_unlocated_reason(visit.elder)))
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
    now = timezone.now()
    when = _when(Fix(None, None, None, at=at), visit, now)
    visit.status, visit.on_the_way_at = VisitStatus.ON_THE_WAY, when
    visit.save(update_fields=["status", "on_the_way_at", "updated_at"])
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
    now = timezone.now()
    when = _when(fix, visit, now)
    if kind == SECOND_CHECK_OUT and SECOND_CHECK_IN in done and when < done[SECOND_CHECK_IN].at:
        raise ValidationError(
            {
                "at": _("Check-out cannot come before the check-in at %(time)s.")
                % {"time": timezone.localtime(done[SECOND_CHECK_IN].at).strftime("%H:%M")}
            }
        )
    distance = _elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    _event(
        visit,
        kind,
        when,
        actor,
        fix.client_action_id,
        {
            "lat": fix.latitude,
            "lng": fix.longitude,
            "accuracy": fix.accuracy,
            "distance": distance,
            "caregiver": caregiver.name,
            "offline": now - when > datetime.timedelta(minutes=2),
        },
    )
    found: list[tuple[str, str]] = []
    if distance is not None and distance > settings.VISIT_CHECK_IN_RADIUS_M:
        found.append(
            (
                FlagCode.OUT_OF_RANGE,
                _("The second caregiver %(name)s was %(metres)d m from the address.")
                % {"name": caregiver.name, "metres": round(distance)},
            )
        )
    if kind == SECOND_CHECK_OUT and SECOND_CHECK_IN not in done:
        found.append(
            (
                FlagCode.NO_CHECK_IN,
                _("The second caregiver %(name)s checked out without a check-in.")
                % {"name": caregiver.name},
            )
        )
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
    now = timezone.now()
    when = _when(fix, visit, now)
    visit.status, visit.check_in_at = VisitStatus.CHECKED_IN, when
    visit.check_in_lat, visit.check_in_lng = fix.latitude, fix.longitude
    visit.check_in_accuracy = fix.accuracy
    visit.check_in_distance = _elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    visit.save()
    _event(
        visit,
        "check_in",
        when,
        actor,
        fix.client_action_id,
        {
            "lat": fix.latitude,
            "lng": fix.longitude,
            "accuracy": fix.accuracy,
            "distance": visit.check_in_distance,
            "offline": now - when > datetime.timedelta(minutes=2),
        },
    )
    _check_flags(visit, explanation)
    _audit(
        actor, AuditAction.UPDATE, visit, visit.division_code, {"status": ["open", "checked_in"]}
    )
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
        found += _raise_flags(
            visit,
            [
                (
                    FlagCode.NO_SECOND_CHECK_IN,
                    _("The second caregiver did not check in; a two-caregiver visit needs both."),
                )
            ],
            explanation,
        )
    if outcome != VisitOutcome.DONE:
        _raise_flags(visit, [(FlagCode.EXCEPTION, str(VisitOutcome(outcome).label))], explanation)
    if (
        not found
        and outcome == VisitOutcome.DONE
        and visit.review_status in (ReviewStatus.NONE, ReviewStatus.ACCEPTED)
    ):
        visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, now
        visit.save(update_fields=["status", "confirmed_at", "updated_at"])


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
    now = timezone.now()
    when = _when(fix, visit, now)
    if visit.check_in_at is not None and when < visit.check_in_at:
        raise ValidationError(
            {
                "at": _("Check-out cannot come before the check-in at %(time)s.")
                % {"time": timezone.localtime(visit.check_in_at).strftime("%H:%M")}
            }
        )
    visit.status, visit.check_out_at = VisitStatus.CHECKED_OUT, when
    visit.check_out_lat, visit.check_out_lng = fix.latitude, fix.longitude
    visit.check_out_accuracy = fix.accuracy
    visit.check_out_distance = _elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    visit.tasks_done = [t for t in visit.item.checklist if t in tasks]
    visit.notes = str(notes or "")[:2000]
    visit.outcome = outcome
    visit.save()
    _event(
        visit,
        "check_out",
        when,
        actor,
        fix.client_action_id,
        {
            "lat": fix.latitude,
            "lng": fix.longitude,
            "accuracy": fix.accuracy,
            "distance": visit.check_out_distance,
            "outcome": outcome,
        },
    )
    _check_out_flags(visit, outcome, explanation, now)
    _audit(
        actor,
        AuditAction.UPDATE,
        visit,
        visit.division_code,
        {"status": ["checked_in", visit.status], "outcome": outcome},
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
