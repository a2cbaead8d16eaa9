"""Assigning caregivers to visits and taking them off (the dispatch rules themselves are
``selectors.assignment_problems``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.services.models import Caregiver
from yiyang.visits.choices import (
    VisitStatus,
)
from yiyang.visits.models import (
    Visit,
)
from yiyang.visits.selectors import assignment_problems
from yiyang.visits.services.common import (
    _audit,
    _event,
)


def _require_dispatch(actor: Actor, visit: Visit) -> None:
    require_perm(actor, Permission.DISPATCH_VISITS)
    if visit.provider_id not in (actor.scope.organisation_ids or ()):
        raise PermissionDenied("provider")


@transaction.atomic
def visit_assign(*, actor: Actor, visit: Visit, caregivers: list[Caregiver]) -> Visit:
    """Assign one caregiver (two for a double-up visit). A conflict is refused with its
    reason: double booking, missing skill or qualification, expired certificate, hours."""
    _require_dispatch(actor, visit)
    visit = Visit.objects.select_for_update().select_related("item", "elder").get(pk=visit.pk)
    if visit.status not in (VisitStatus.SCHEDULED, VisitStatus.ASSIGNED):
        raise ValidationError({"status": _("A visit that is %(status)s cannot be reassigned.") % {
            "status": visit.get_status_display()}})  # fmt: skip
    wanted = 2 if visit.needs_two else 1
    unique = list({c.pk: c for c in caregivers}.values())
    if len(unique) != wanted:
        raise ValidationError({"caregivers": _(
            "This service needs %(n)d caregiver(s); %(given)d different ones were given.") % {
            "n": wanted, "given": len(unique)}})  # fmt: skip
    # Lock the caregivers' rows so that two dispatchers cannot double-book them at once.
    list(Caregiver.objects.select_for_update().filter(pk__in=[c.pk for c in unique]))
    problems = assignment_problems(visit, unique)
    refused = {cid: p for cid, p in problems.items() if p}
    if refused:
        raise ValidationError({
            "caregivers": [reason for found in refused.values() for _code, reason in found],
            "codes": sorted({code for found in refused.values() for code, _r in found}),
        })  # fmt: skip
    before = [visit.caregiver_id, visit.second_caregiver_id]
    visit.caregiver = unique[0]
    visit.second_caregiver = unique[1] if wanted == 2 else None
    visit.status = VisitStatus.ASSIGNED
    visit.save(update_fields=["caregiver", "second_caregiver", "status", "updated_at"])
    _event(visit, "assigned", timezone.now(), actor, None, {"caregivers": [c.name for c in unique]})
    _audit(
        actor,
        AuditAction.UPDATE,
        visit,
        visit.division_code,
        {"caregivers": [before, [c.pk for c in unique]]},
    )
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
    visit.status = VisitStatus.SCHEDULED
    visit.save(update_fields=["caregiver", "second_caregiver", "status", "updated_at"])
    _audit(
        actor, AuditAction.UPDATE, visit, visit.division_code, {"caregivers": ["assigned", None]}
    )
    return visit
