"""Assigning caregivers to visits and taking them off (the dispatch rules themselves are
``visits.dispatching.judge``, loaded by ``selectors.dispatch_conflicts``)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core import clock
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.services.models import Caregiver
from yiyang.visits.choices import (
    VisitStatus,
)
from yiyang.visits.dispatch_facts import dispatch_conflicts, minute_moment
from yiyang.visits.dispatching import Refusal, refusal_texts
from yiyang.visits.models import (
    Visit,
)
from yiyang.visits.services import transitions
from yiyang.visits.services.common import (
    _audit,
    _event,
)


def _require_dispatch(actor: Actor, visit: Visit) -> None:
    require_perm(actor, Permission.DISPATCH_VISITS)
    if visit.provider_id not in (actor.scope.organisation_ids or ()):
        raise PermissionDenied("provider")


class DispatchRefusedError(ValidationError):
    """The dispatch rules refused an assignment: ``refusals`` (codes, parameters, the
    conflicting visit) for whoever stores them; the messages are their words in the
    current language, under ``caregivers``, and their codes under ``codes``."""

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        super().__init__(
            {
                "caregivers": refusal_texts(refusals),
                "codes": sorted({r.code for r in refusals}),
            }
        )


@transaction.atomic
def visit_assign(
    *,
    actor: Actor,
    visit: Visit,
    caregivers: list[Caregiver],
    at: datetime.datetime | None = None,
) -> Visit:
    """Assign one caregiver (two for a double-up visit), planned to start at ``at`` (an
    accepted proposal's start) or as early as the caregivers' days allow. A conflict is
    refused with :class:`DispatchRefusedError`: day off, working hours, overlap with another
    visit (travel included), skill, qualification, certificate, minutes a day."""
    _require_dispatch(actor, visit)
    visit = Visit.objects.select_for_update().select_related("item", "elder").get(pk=visit.pk)
    if visit.status not in (VisitStatus.SCHEDULED, VisitStatus.ASSIGNED):
        raise ValidationError(
            {
                "status": _("A visit that is %(status)s cannot be reassigned.")
                % {"status": visit.get_status_display()}
            }
        )
    unique = list({c.pk: c for c in caregivers}.values())
    # Lock the caregivers' rows so that two dispatchers cannot double-book them at once.
    list(Caregiver.objects.select_for_update().filter(pk__in=[c.pk for c in unique]))
    verdict = dispatch_conflicts(visit, unique, at=at)
    if not verdict.ok:
        raise DispatchRefusedError(verdict.refusals)
    assert verdict.start is not None
    start = minute_moment(visit.date, verdict.start)
    detail, changes = transitions.assign(visit, unique, start)
    visit.save(update_fields=transitions.ASSIGN_FIELDS)
    _event(visit, "assigned", clock.now(), actor, None, detail)
    _audit(actor, AuditAction.UPDATE, visit, visit.division_code, changes)
    return visit


@transaction.atomic
def visit_unassign(*, actor: Actor, visit: Visit) -> Visit:
    _require_dispatch(actor, visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status != VisitStatus.ASSIGNED:
        raise ValidationError(
            {"status": _("Only an assigned visit not yet started can be unassigned.")}
        )
    visit.caregiver = visit.second_caregiver = None
    visit.planned_start = None
    visit.status = VisitStatus.SCHEDULED
    visit.save(
        update_fields=["caregiver", "second_caregiver", "status", "planned_start", "updated_at"]
    )
    _audit(
        actor, AuditAction.UPDATE, visit, visit.division_code, {"caregivers": ["assigned", None]}
    )
    return visit


@transaction.atomic
def visits_planned_start_set(*, actor: Actor, starts: dict[Visit, datetime.datetime | None]) -> int:
    """Set the planned starts of visits whose caregivers stay (an accepted plan re-times
    them); the visits must be the actor's provider's and not under way. Returns how many."""
    changed = 0
    for visit, at in starts.items():
        _require_dispatch(actor, visit)
        if at is None or visit.status not in (VisitStatus.SCHEDULED, VisitStatus.ASSIGNED):
            continue
        changed += Visit.objects.filter(pk=visit.pk).update(planned_start=at)
    return changed
