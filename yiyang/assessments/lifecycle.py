"""Which actions an assessment allows now, and to whom: decided here once.

The assessment page reads :func:`assessment_actions` to show its buttons (schedule, enter
answers, review, cancel); each workflow service calls :func:`assessment_action_check` as its
guard, so a button is shown exactly when the service would accept the action, with the same
sentence as the reason when it would not. Checks of the request's data (the assessor chosen,
the answers, the reason given) stay in the services.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from yiyang.assessments.choices import EDITABLE_STATUSES, AssessmentStatus
from yiyang.assessments.models import Assessment, AssessorDeclaration
from yiyang.core.lifecycle import Action, Refusal, open_actions, permission_refusal, refuse
from yiyang.core.permissions import Actor, Permission

# Statuses from which an assessment may be (re)scheduled, and cancelled.
SCHEDULABLE = (AssessmentStatus.REQUESTED, AssessmentStatus.SCHEDULED)
CANCELLABLE = (
    AssessmentStatus.REQUESTED,
    AssessmentStatus.SCHEDULED,
    AssessmentStatus.IN_PROGRESS,
    AssessmentStatus.RETURNED,
)


class AssessmentAction(Action):
    SCHEDULE = "schedule", Permission.SCHEDULE_ASSESSMENTS
    ENTER = "enter", Permission.CONDUCT_ASSESSMENTS  # save answers half-way, or submit them
    REVIEW = "review", Permission.REVIEW_ASSESSMENTS  # return to the assessor, or finalise
    CANCEL = "cancel", Permission.SCHEDULE_ASSESSMENTS


def _declared(actor: Actor, assessment: Assessment) -> bool:
    return AssessorDeclaration.objects.filter(
        assessor_id=actor.pk, elder_id=assessment.elder_id
    ).exists()


def _assessor_refusal(actor: Actor, assessment: Assessment) -> Refusal | None:
    if actor.pk is None or actor.pk not in (assessment.assessor_id, assessment.second_assessor_id):
        return Refusal(_("Only an assessor of this assessment may do this."), field="assessor")
    if not actor.scope.covers(division_code=assessment.division_code, organisation_id=None):
        return Refusal(_("This elder lies outside your jurisdiction."), field="elder")
    if _declared(actor, assessment):
        return Refusal(_("You have declared a relation to this elder."), field="assessor")
    if assessment.status == AssessmentStatus.SUBMITTED:
        return Refusal(_("This assessment has already been submitted."))
    if assessment.status not in EDITABLE_STATUSES:
        return Refusal(_("This assessment can no longer be changed."))
    return None


def _reviewer_refusal(actor: Actor, assessment: Assessment) -> Refusal | None:
    if actor.pk is not None and actor.pk == assessment.assessor_id:
        return Refusal(_("The assessor who led an assessment cannot review it."), field="reviewer")
    if actor.pk is not None and _declared(actor, assessment):
        return Refusal(_("You have declared a relation to this elder."), field="reviewer")
    if assessment.status != AssessmentStatus.SUBMITTED:
        return Refusal(_("Only a submitted assessment can be reviewed."))
    return None


def assessment_action_refusal(
    *, actor: Actor, assessment: Assessment, action: AssessmentAction
) -> Refusal | None:
    """Why ``actor`` may not take ``action`` on ``assessment`` now, or None when they may."""
    if (denied := permission_refusal(actor, action.permission)) is not None:
        return denied
    if action == AssessmentAction.ENTER:
        return _assessor_refusal(actor, assessment)
    if not actor.scope.covers(division_code=assessment.division_code, organisation_id=None):
        return Refusal(_("This elder lies outside your jurisdiction."), field="elder")
    if action == AssessmentAction.REVIEW:
        return _reviewer_refusal(actor, assessment)
    if action == AssessmentAction.SCHEDULE and assessment.status not in SCHEDULABLE:
        return Refusal(_("Only a requested or scheduled assessment can be scheduled."))
    if action == AssessmentAction.CANCEL and assessment.status not in CANCELLABLE:
        return Refusal(_("A submitted or final assessment is not cancelled."))
    return None


def assessment_action_check(
    *, actor: Actor, assessment: Assessment, action: AssessmentAction
) -> None:
    """The services' guard: raise the refusal (403 or a field error) when not allowed."""
    refuse(assessment_action_refusal(actor=actor, assessment=assessment, action=action))


def assessment_actions(*, actor: Actor, assessment: Assessment) -> frozenset[AssessmentAction]:
    """Every action ``actor`` may take on ``assessment`` now (the page's buttons)."""
    return open_actions(
        AssessmentAction,
        lambda a: assessment_action_refusal(actor=actor, assessment=assessment, action=a),
    )
