"""Reads of assessments, each scoped to the actor's role and jurisdiction.

An assessor sees the assessments assigned to them and the unassigned requests of their
jurisdiction (to take them up); officers, community workers and auditors see those of their
jurisdiction. Roles without the permission get 403; records outside scope are 404.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiyang.assessments.choices import AssessmentStatus
from yiyang.assessments.filtersets import AssessmentFilterSet
from yiyang.assessments.models import (
    Assessment,
    CareRiskEvent,
    EligibilityRule,
    Instrument,
)
from yiyang.core.lookups import get_or_404
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Actor, Permission, Role, require_perm
from yiyang.elders.models import Elder


def instrument_current(*, code: str) -> Instrument | None:
    """The edition of an instrument in use (the newest active one)."""
    return Instrument.objects.filter(code=code, is_active=True).order_by("-created_at").first()


def instruments_in_use() -> QuerySet[Instrument]:
    return Instrument.objects.filter(is_active=True).order_by("code")


def assessment_queryset(*, actor: Actor) -> QuerySet[Assessment]:
    require_perm(actor, Permission.VIEW_ASSESSMENTS)
    # An assessor: the assessments assigned to them, and the unassigned requests in their place.
    queryset = actor.scope.apply(
        Assessment.objects.all(),
        division_code_field="division_code",
        worker_fields=("assessor_id", "second_assessor_id"),
        open_work=Q(assessor__isnull=True, status=AssessmentStatus.REQUESTED),
    )
    return queryset.select_related(
        "elder", "elder__community", "instrument", "assessor", "second_assessor"
    )


def assessment_list(*, actor: Actor, filters: Any = None) -> QuerySet[Assessment]:
    return AssessmentFilterSet(filters or {}, queryset=assessment_queryset(actor=actor)).qs


def assessment_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Assessment:
    return get_or_404(assessment_queryset(actor=actor), external_id=external_id)


def elder_assessments(*, actor: Actor, elder: Elder) -> QuerySet[Assessment]:
    """An elder's assessments the actor may see, newest first (for the trend and the tab)."""
    return assessment_queryset(actor=actor).filter(elder=elder)


def elder_level_trend(*, actor: Actor, elder: Elder) -> list[dict[str, Any]]:
    """Final (and superseded) GB/T 42195 results in time order: the trend of levels."""
    rows = (
        elder_assessments(actor=actor, elder=elder)
        .filter(
            status__in=[AssessmentStatus.FINAL, AssessmentStatus.SUPERSEDED],
            instrument__engine="gbt42195",
        )
        .order_by("finalised_at")
        .values("external_id", "finalised_at", "total", "final_level", "reason")
    )
    return [dict(row) for row in rows]


def assessments_due(
    *, actor: Actor, within_days: int | None = None, today: datetime.date | None = None
) -> QuerySet[Assessment]:
    """The final assessments of active elders in scope that run out within ``within_days``
    (default from settings) or have run out: who needs a re-assessment."""
    today = today or timezone.localdate()
    days = settings.ASSESSMENT_DUE_WITHIN_DAYS if within_days is None else within_days
    # The same scope as the main list: an assessor sees only the assessments that are theirs.
    return (
        assessment_queryset(actor=actor)
        .filter(
            status=AssessmentStatus.FINAL,
            valid_until__lte=today + datetime.timedelta(days=days),
            elder__status="active",
        )
        .order_by("valid_until", "id")
    )


def risk_events_of(*, actor: Actor, elder: Elder) -> QuerySet[CareRiskEvent]:
    require_perm(actor, Permission.VIEW_ASSESSMENTS)
    return actor.scope.apply(
        CareRiskEvent.objects.filter(elder=elder), division_code_field="division_code"
    )


def eligibility_rules(*, include_inactive: bool = True) -> QuerySet[EligibilityRule]:
    queryset = EligibilityRule.objects.all()
    return queryset if include_inactive else queryset.filter(is_active=True)


def eligibility_rule_get(*, external_id: uuid.UUID | str) -> EligibilityRule:
    return get_or_404(EligibilityRule.objects.all(), external_id=external_id)


def eligibility_rule_history(*, rule: EligibilityRule) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type="assessments.eligibilityrule", object_id=str(rule.external_id)
    ).order_by("-at", "-id")


def assessment_history(*, assessment: Assessment) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type="assessments.assessment", object_id=str(assessment.external_id)
    ).order_by("at", "id")


def assessors_for(*, elder: Elder) -> list[Any]:
    """Active assessors whose jurisdiction holds the elder and who declared no relation."""
    from yiyang.accounts.models import User
    from yiyang.assessments.models import AssessorDeclaration

    declared = set(
        AssessorDeclaration.objects.filter(elder=elder).values_list("assessor_id", flat=True)
    )
    users = User.objects.filter(role=Role.ASSESSOR, is_active=True).select_related("division")
    return [
        user
        for user in users
        if user.pk not in declared
        and user.scope.covers(division_code=elder.division_code, organisation_id=None)
    ]


def assessor_get(*, external_id: uuid.UUID | str) -> Any:
    """An active assessor by external id (the services check their scope), or None."""
    from yiyang.accounts.models import User

    try:
        return (
            User.objects.select_related("division")
            .filter(role=Role.ASSESSOR, is_active=True, external_id=external_id)
            .first()
        )
    except (ValidationError, ValueError):
        return None
