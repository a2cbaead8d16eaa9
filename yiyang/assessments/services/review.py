"""The reviewer's end of the workflow: return, finalise (the level reaches the elder) or
cancel."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.assessments import scoring
from yiyang.assessments.choices import AssessmentStatus
from yiyang.assessments.lifecycle import AssessmentAction, assessment_action_check
from yiyang.assessments.models import Assessment
from yiyang.assessments.services.common import (
    _history,
    _scoring_errors,
    add_months,
    rules_from_settings,
)
from yiyang.assessments.services.workflow import _locked, _store, assessment_answers
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.elders.choices import AbilityLevel
from yiyang.elders.services import elder_ability_level_set


def _require_reviewer(actor: Actor, assessment: Assessment) -> None:
    require_perm(actor, Permission.REVIEW_ASSESSMENTS)
    assessment_action_check(actor=actor, assessment=assessment, action=AssessmentAction.REVIEW)


@transaction.atomic
def assessment_return(*, actor: Actor, assessment: Assessment, reason: str) -> Assessment:
    """Send a submitted assessment back to its assessor with the reasons."""
    assessment = _locked(assessment)
    _require_reviewer(actor, assessment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what must be corrected.")})
    if len(reason) > 1000:
        raise ValidationError({"reason": _("At most 1,000 characters.")})
    assessment.status = AssessmentStatus.RETURNED
    assessment.return_reason = reason
    assessment.save()
    _history(
        actor,
        assessment,
        AuditAction.REVIEW,
        {
            "status": [AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED],
            "reason": reason,
        },
    )
    return assessment


@transaction.atomic
def assessment_finalise(*, actor: Actor, assessment: Assessment) -> Assessment:
    """Make a submitted assessment final: the result is computed once more and frozen, the
    elder's previous final assessment is superseded, and (for GB/T 42195) the final level
    becomes the elder's ability level and disability tag."""
    assessment = _locked(assessment)
    _require_reviewer(actor, assessment)
    if settings.ASSESSMENT_TWO_ASSESSORS and assessment.second_assessor_id is None:
        raise ValidationError({"second_assessor": _("Two assessors are required.")})
    entry = assessment_answers(assessment)
    try:
        result = scoring.score(
            assessment.instrument.definition,
            entry.answers,
            scoring.Facts(entry.coma, entry.diagnoses, entry.risk_events_30d),
            rules_from_settings(),
            complete=True,
        )
    except scoring.ScoringError as error:
        raise _scoring_errors(error) from error
    _store(assessment, entry, result)
    today = timezone.localdate()
    assessment.status = AssessmentStatus.FINAL
    assessment.finalised_at = timezone.now()
    assessment.finalised_by = actor_user(actor)
    assessment.valid_until = add_months(today, int(settings.ASSESSMENT_VALID_MONTHS))
    assessment.save()
    previous = list(
        Assessment.objects.select_for_update()
        .filter(
            elder_id=assessment.elder_id,
            instrument__code=assessment.instrument.code,
            status=AssessmentStatus.FINAL,
        )
        .exclude(pk=assessment.pk)
    )
    for old in previous:
        old.status = AssessmentStatus.SUPERSEDED
        old.superseded_by = assessment
        old.save(update_fields=["status", "superseded_by", "updated_at"])
        _history(
            actor,
            old,
            AuditAction.UPDATE,
            {
                "status": [AssessmentStatus.FINAL, AssessmentStatus.SUPERSEDED],
                "superseded_by": str(assessment.external_id),
            },
        )
    _history(
        actor,
        assessment,
        AuditAction.REVIEW,
        {
            "status": [AssessmentStatus.SUBMITTED, AssessmentStatus.FINAL],
            "final_level": [None, result.final_level],
            "valid_until": [None, str(assessment.valid_until)],
        },
    )
    if assessment.instrument.engine == scoring.ENGINE_GBT42195:
        code = scoring.level_codes(assessment.instrument.definition)[result.final_level]
        elder_ability_level_set(
            actor=actor,
            elder=assessment.elder,
            level=AbilityLevel(code),
            source=str(assessment.external_id),
        )
    return assessment


@transaction.atomic
def assessment_cancel(*, actor: Actor, assessment: Assessment, reason: str) -> Assessment:
    require_perm(actor, Permission.SCHEDULE_ASSESSMENTS)
    assessment = _locked(assessment)
    assessment_action_check(actor=actor, assessment=assessment, action=AssessmentAction.CANCEL)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ValidationError({"reason": _("Give a reason of at most 200 characters.")})
    previous = assessment.status
    assessment.status = AssessmentStatus.CANCELLED
    assessment.save()
    _history(
        actor,
        assessment,
        AuditAction.UPDATE,
        {
            "status": [previous, AssessmentStatus.CANCELLED],
            "reason": reason,
        },
    )
    return assessment
