"""The assessment workflow up to submission: request, schedule, answers saved and submitted."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.assessments import scoring
from yiyang.assessments.choices import (
    OPEN_STATUSES,
    AssessmentReason,
    AssessmentStatus,
    RequestedVia,
)
from yiyang.assessments.lifecycle import (
    AssessmentAction,
    assessment_action_check,
    assessment_action_refusal,
)
from yiyang.assessments.models import Assessment, AssessorDeclaration
from yiyang.assessments.selectors import instrument_current
from yiyang.assessments.services.common import (
    GBT42195,
    _history,
    _in_scope,
    _scoring_errors,
    rules_from_settings,
)
from yiyang.core.audit import diff, snapshot
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, Role, actor_user, require_perm
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder
from yiyang.elders.sensitive import seal, unseal


@dataclass
class Answers:
    """What an assessor has entered: the item answers and the facts of the change rules."""

    answers: dict[str, int]
    coma: bool
    diagnoses: list[str]
    risk_events_30d: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "coma": self.coma,
            "diagnoses": self.diagnoses,
            "risk_events_30d": self.risk_events_30d,
        }


def assessment_answers(assessment: Assessment) -> Answers:
    data = unseal(assessment.answers_ciphertext, {})
    return Answers(
        answers={k: int(v) for k, v in data.get("answers", {}).items()},
        coma=bool(data.get("coma", False)),
        diagnoses=list(data.get("diagnoses", [])),
        risk_events_30d=dict(data.get("risk_events_30d", {})),
    )


def assessment_result(assessment: Assessment) -> dict[str, Any]:
    return dict(unseal(assessment.result_ciphertext, {}))


@transaction.atomic
def assessment_request(
    *,
    actor: Actor,
    elder: Elder,
    reason: str,
    requested_via: str = RequestedVia.COMMUNITY_WORKER,
    instrument_code: str = GBT42195,
    note: str = "",
) -> Assessment:
    """Ask for an assessment of an elder. One open assessment per elder and instrument: a
    second request is refused (an automatic one returns the open assessment instead)."""
    automatic = requested_via == RequestedVia.AUTOMATIC
    if not automatic:
        require_perm(actor, Permission.REQUEST_ASSESSMENTS)
    errors: dict[str, str] = {}
    if reason not in AssessmentReason.values:
        errors["reason"] = _("Choose a reason from the list.")
    if requested_via not in RequestedVia.values:
        errors["requested_via"] = _("Choose who asks from the list.")
    if len(note) > 200:
        errors["note"] = _("At most 200 characters.")
    if not _in_scope(actor, elder.division_code):
        errors["elder"] = _("This elder lies outside your jurisdiction.")
    elif elder.status == ElderStatus.DECEASED:
        errors["elder"] = _("This elder is recorded as deceased.")
    instrument = instrument_current(code=instrument_code)
    if instrument is None:
        errors["instrument"] = _("No instrument with this code is in use.")
    if errors:
        raise ValidationError(errors)
    assert instrument is not None
    open_one = Assessment.objects.filter(
        elder=elder, instrument=instrument, status__in=OPEN_STATUSES
    ).first()
    if open_one is not None:
        if automatic:
            return open_one
        raise ValidationError(
            {"elder": _("This elder already has an open assessment; continue that one.")}
        )
    assessment = Assessment(
        elder=elder,
        division_code=elder.division_code,
        instrument=instrument,
        reason=reason,
        requested_via=requested_via,
        requested_by=actor_user(actor),
        request_note=note,
    )
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError as error:  # a concurrent request won the race
        raise ValidationError(
            {"elder": _("This elder already has an open assessment; continue that one.")}
        ) from error
    _history(
        actor,
        assessment,
        AuditAction.CREATE,
        {
            "status": [None, assessment.status],
            "reason": [None, reason],
            "requested_via": [None, requested_via],
        },
    )
    return assessment


def _locked(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("elder", "instrument", "assessor", "second_assessor")
        .get(pk=assessment.pk)
    )


def _assessor_errors(user: Any, elder: Elder, field: str) -> dict[str, str]:
    if user is None:
        return {}
    if getattr(user, "role", None) != Role.ASSESSOR or not getattr(user, "is_active", False):
        return {field: _("Choose an active assessor.")}
    if not user.scope.covers(division_code=elder.division_code, organisation_id=None):
        return {field: _("This assessor does not work in the elder's area.")}
    if AssessorDeclaration.objects.filter(assessor=user, elder=elder).exists():
        return {field: _("This assessor has declared a relation to the elder.")}
    return {}


@transaction.atomic
def assessment_schedule(
    *,
    actor: Actor,
    assessment: Assessment,
    assessor: Any,
    scheduled_at: datetime.datetime,
    place: str,
    second_assessor: Any = None,
) -> Assessment:
    """Give an assessment its assessor(s), date and place (again, to reschedule)."""
    require_perm(actor, Permission.SCHEDULE_ASSESSMENTS)
    assessment = _locked(assessment)
    elder = assessment.elder
    errors: dict[str, str] = {}
    refusal = assessment_action_refusal(
        actor=actor, assessment=assessment, action=AssessmentAction.SCHEDULE
    )
    if refusal is not None and refusal.field != "status":
        refusal.raise_()
    if refusal is not None:  # said together with what else is wrong with the form
        errors["status"] = refusal.message
    if assessor is None:
        errors["assessor"] = _("Choose an assessor.")
    errors |= _assessor_errors(assessor, elder, "assessor")
    errors |= _assessor_errors(second_assessor, elder, "second_assessor")
    if second_assessor is not None and assessor is not None and second_assessor == assessor:
        errors["second_assessor"] = _("The second assessor must be another person.")
    if settings.ASSESSMENT_TWO_ASSESSORS and second_assessor is None:
        errors["second_assessor"] = _("Two assessors are required.")
    if scheduled_at is None or timezone.is_naive(scheduled_at):
        errors["scheduled_at"] = _("Give a date and time.")
    elif scheduled_at < timezone.now() - datetime.timedelta(days=1):
        errors["scheduled_at"] = _("The date lies in the past.")
    place = (place or "").strip()
    if not place:
        errors["place"] = _("Give the place (usually the elder's home).")
    elif len(place) > 200:
        errors["place"] = _("At most 200 characters.")
    if errors:
        raise ValidationError(errors)
    before = snapshot(
        assessment, ["status", "assessor", "second_assessor", "scheduled_at", "place"]
    )
    assessment.assessor = assessor
    assessment.second_assessor = second_assessor
    assessment.scheduled_at = scheduled_at
    assessment.place = place
    assessment.status = AssessmentStatus.SCHEDULED
    assessment.save()
    after = snapshot(assessment, ["status", "assessor", "second_assessor", "scheduled_at", "place"])
    _history(actor, assessment, AuditAction.UPDATE, diff(before, after))
    return assessment


def _require_assessor_of(actor: Actor, assessment: Assessment) -> None:
    require_perm(actor, Permission.CONDUCT_ASSESSMENTS)
    assessment_action_check(actor=actor, assessment=assessment, action=AssessmentAction.ENTER)


def _clean_entry(
    assessment: Assessment, values: Mapping[str, Any], *, complete: bool
) -> tuple[Answers, scoring.Result]:
    current = assessment_answers(assessment)
    merged_answers = dict(current.answers)
    if "answers" in values:
        given = values["answers"]
        if not isinstance(given, Mapping):
            raise ValidationError({"answers": [_("Answers must be item codes with points.")]})
        for code, points in given.items():
            if points in (None, ""):
                merged_answers.pop(str(code), None)
            else:
                merged_answers[str(code)] = points
    coma = values.get("coma", current.coma)
    if not isinstance(coma, bool):
        raise ValidationError({"coma": [_("Answer yes or no.")]})
    facts = scoring.Facts(
        coma=coma,
        diagnoses=values.get("diagnoses", current.diagnoses),
        risk_events_30d=values.get("risk_events_30d", current.risk_events_30d),
    )
    definition = assessment.instrument.definition
    try:
        answers = scoring.clean_answers(definition, merged_answers, complete=complete)
        diagnoses = scoring.clean_diagnoses(facts.diagnoses)
        events = scoring.clean_risk_events(definition, facts.risk_events_30d)
        result = scoring.score(
            definition,
            answers,
            scoring.Facts(coma, diagnoses, events),
            rules_from_settings(),
            complete=complete,
        )
    except scoring.ScoringError as error:
        raise _scoring_errors(error) from error
    return Answers(answers, coma, diagnoses, events), result


def _store(assessment: Assessment, entry: Answers, result: scoring.Result) -> None:
    assessment.answers_ciphertext = seal(entry.as_dict())
    assessment.result_ciphertext = seal(result.as_dict())
    assessment.answered_items = result.answered
    assessment.total = result.total
    assessment.preliminary_level = result.preliminary_level
    assessment.final_level = result.final_level


@transaction.atomic
def assessment_save(
    *, actor: Actor, assessment: Assessment, values: Mapping[str, Any]
) -> Assessment:
    """Save answers half-way (any subset of items; unanswered ones stay open). Every given
    answer must be one of its item's options; nothing is saved otherwise."""
    assessment = _locked(assessment)
    _require_assessor_of(actor, assessment)
    entry, result = _clean_entry(assessment, values, complete=False)
    before = {"status": assessment.status, "answered_items": assessment.answered_items}
    _store(assessment, entry, result)
    if assessment.status == AssessmentStatus.SCHEDULED:
        assessment.status = AssessmentStatus.IN_PROGRESS
    assessment.save()
    after = {"status": assessment.status, "answered_items": assessment.answered_items}
    changes: dict[str, Any] = dict(diff(before, after)) or {"answers": "saved"}
    _history(actor, assessment, AuditAction.UPDATE, changes)
    return assessment


@transaction.atomic
def assessment_submit(
    *, actor: Actor, assessment: Assessment, values: Mapping[str, Any] | None = None
) -> Assessment:
    """Submit for review: every item must be answered. Submitting twice is refused."""
    assessment = _locked(assessment)
    _require_assessor_of(actor, assessment)
    entry, result = _clean_entry(assessment, values or {}, complete=True)
    previous = assessment.status
    _store(assessment, entry, result)
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.return_reason = ""
    assessment.save()
    _history(
        actor,
        assessment,
        AuditAction.UPDATE,
        {
            "status": [previous, assessment.status],
            "total": [None, result.total],
            "final_level": [None, result.final_level],
        },
    )
    return assessment
