"""Who may see the health behind an assessment (diagnoses named by change rules, answers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from yiyang.assessments.models import Assessment
from yiyang.assessments.services.common import _in_scope
from yiyang.assessments.services.workflow import Answers, assessment_answers, assessment_result
from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.elders.services import access_logged

# A change rule's text names the diagnosis or the events behind it ("确诊为痴呆（F00～F03）…"):
# roles without health access see that a rule raised the level, never which.
WITHHELD_RULE = "withheld"


@dataclass(frozen=True)
class AssessmentHealth:
    """What of an assessment's health data an actor sees: the answers (None when not
    theirs to see, or none entered yet) and the stored result, its change rules in full
    only when ``full``."""

    answers: Answers | None
    result: dict[str, Any]
    full: bool


def may_see_assessment_health(*, actor: Actor, assessment: Assessment) -> bool:
    """The one rule for answers, diagnoses and the applied change rules: the assessment's
    assessors, reviewers and health-data roles, in scope."""
    pk = getattr(actor, "pk", None)
    return (
        (pk is not None and pk in (assessment.assessor_id, assessment.second_assessor_id))
        or has_perm(actor, Permission.REVIEW_ASSESSMENTS)
        or has_perm(actor, Permission.SEE_HEALTH)
    ) and _in_scope(actor, assessment.division_code)


def _withheld_rules(result: dict[str, Any]) -> dict[str, Any]:
    rules = result.get("applied_rules") or []
    if not rules:
        return result
    text = str(_("A change rule raised the level; its grounds are health data."))
    return result | {"applied_rules": [{"rule": WITHHELD_RULE, "text": text} for _rule in rules]}


def assessment_health_reveal(*, actor: Actor, assessment: Assessment) -> AssessmentHealth:
    """The answers and the result as this actor may see them. A view that shows any health
    data (answers, or the grounds of an applied change rule) writes one access-log entry."""
    result = assessment_result(assessment)
    if not may_see_assessment_health(actor=actor, assessment=assessment):
        return AssessmentHealth(answers=None, result=_withheld_rules(result), full=False)
    answers = assessment_answers(assessment) if assessment.answers_ciphertext else None
    if answers is not None or result.get("applied_rules"):
        access_logged(
            actor=actor,
            action="view",
            fields=["health"],
            elders=[(assessment.elder_id, assessment.division_code)],
        )
    return AssessmentHealth(answers=answers, result=result, full=True)


def assessment_answers_reveal(*, actor: Actor, assessment: Assessment) -> Answers | None:
    """The answers (health data) if the actor may see them, with an access-log entry; None
    otherwise. Assessors of the assessment, reviewers and health-data roles may."""
    return assessment_health_reveal(actor=actor, assessment=assessment).answers
