"""Care-risk events, assessors' declared relations and the routine re-assessments due."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.assessments.choices import (
    OPEN_STATUSES,
    REASSESS_KINDS,
    AssessmentReason,
    AssessmentStatus,
    DeclaredRelation,
    RequestedVia,
    RiskEventKind,
)
from yiyang.assessments.models import Assessment, AssessorDeclaration, CareRiskEvent
from yiyang.assessments.services.common import _in_scope
from yiyang.assessments.services.workflow import assessment_request
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder

REASSESSMENT_REQUESTED, REASSESSMENT_ADVISED = "requested", "advised"


def reassessment_after(*, elder: Elder, kind: str) -> str | None:
    """What a care-risk event of ``kind`` means for the elder's assessment — the one rule
    for the service (which acts on it) and the page (which says so): after a fall or a
    hospital stay an elder assessed before gets an immediate re-assessment requested; one
    never assessed is advised to have one; other events change nothing."""
    if kind not in REASSESS_KINDS:
        return None
    assessed = Assessment.objects.filter(elder=elder, status=AssessmentStatus.FINAL).exists()
    return REASSESSMENT_REQUESTED if assessed else REASSESSMENT_ADVISED


@transaction.atomic
def risk_event_record(
    *, actor: Actor, elder: Elder, kind: str, occurred_on: datetime.date, note: str = ""
) -> CareRiskEvent:
    """Record a fall, hospital stay or other care-risk event. After a fall or a hospital
    stay an immediate re-assessment is proposed (requested automatically) for an elder who
    has been assessed before."""
    require_perm(actor, Permission.REQUEST_ASSESSMENTS)
    errors: dict[str, str] = {}
    if kind not in RiskEventKind.values:
        errors["kind"] = _("Choose a kind of event from the list.")
    if not isinstance(occurred_on, datetime.date):
        errors["occurred_on"] = _("Give the date.")
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = _("The date lies in the future.")
    if len(note or "") > 200:
        errors["note"] = _("At most 200 characters.")
    if not _in_scope(actor, elder.division_code):
        errors["elder"] = _("This elder lies outside your jurisdiction.")
    if errors:
        raise ValidationError(errors)
    event = CareRiskEvent.objects.create(
        elder=elder,
        division_code=elder.division_code,
        kind=kind,
        occurred_on=occurred_on,
        note=note or "",
        recorded_by=actor_user(actor),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=event,
        object_type="assessments.riskevent",
        object_repr=f"{elder.name} {kind}",
        division_code=elder.division_code,
        changes={"kind": [None, kind], "occurred_on": [None, occurred_on.isoformat()]},
    )
    if reassessment_after(elder=elder, kind=kind) == REASSESSMENT_REQUESTED:
        assessment_request(
            actor=actor,
            elder=elder,
            reason=AssessmentReason.IMMEDIATE,
            requested_via=RequestedVia.AUTOMATIC,
            note=_("Proposed after: %(kind)s on %(date)s")
            % {"kind": RiskEventKind(kind).label, "date": occurred_on.isoformat()},
        )
    return event


@transaction.atomic
def declaration_record(*, actor: Actor, elder: Elder, relation: str) -> AssessorDeclaration:
    """An assessor declares a relation to an elder; from then on they cannot assess or
    review that elder."""
    require_perm(actor, Permission.CONDUCT_ASSESSMENTS)
    if relation not in DeclaredRelation.values:
        raise ValidationError({"relation": _("Choose a relation from the list.")})
    declaration, _created = AssessorDeclaration.objects.get_or_create(
        assessor=actor_user(actor), elder=elder, defaults={"relation": relation}
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=declaration,
        object_type="assessments.declaration",
        object_repr=f"{elder.name} {relation}",
        division_code=elder.division_code,
        changes={"relation": [None, relation]},
    )
    return declaration


@transaction.atomic
def due_assessments_request(*, actor: Actor, within_days: int | None = None) -> int:
    """Request a routine re-assessment (automatically) for every elder in the actor's
    jurisdiction whose final assessment runs out within ``within_days``."""
    from yiyang.assessments.selectors import assessments_due

    require_perm(actor, Permission.REQUEST_ASSESSMENTS)
    count = 0
    for assessment in assessments_due(actor=actor, within_days=within_days):
        open_exists = Assessment.objects.filter(
            elder_id=assessment.elder_id,
            instrument=assessment.instrument,
            status__in=OPEN_STATUSES,
        ).exists()
        if open_exists or assessment.elder.status == ElderStatus.DECEASED:
            continue
        assessment_request(
            actor=actor,
            elder=assessment.elder,
            reason=AssessmentReason.ROUTINE,
            requested_via=RequestedVia.AUTOMATIC,
            instrument_code=assessment.instrument.code,
        )
        count += 1
    return count
