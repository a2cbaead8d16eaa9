"""The assessments app owns ability assessment: the instruments (GB/T 42195-2022, the
Barthel Index) as versioned data, the workflow from request to a final, frozen result, the
care-risk events that feed the change rules and prompt re-assessment, assessors' declared
relations, and the eligibility rules that turn a final level into entitlements.

Every write checks the actor's role and jurisdiction, validates everything before writing
anything, runs in one transaction and leaves an audit record. Errors are ``ValidationError``
keyed by field (item codes for answers).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.assessments import scoring
from yiyang.assessments.choices import (
    EDITABLE_STATUSES,
    OPEN_STATUSES,
    REASSESS_KINDS,
    RISK_RULE_KINDS,
    AssessmentReason,
    AssessmentStatus,
    DeclaredRelation,
    EntitlementKind,
    EntitlementUnit,
    RequestedVia,
    RiskEventKind,
)
from yiyang.assessments.models import (
    Assessment,
    AssessorDeclaration,
    CareRiskEvent,
    EligibilityRule,
    Instrument,
)
from yiyang.assessments.selectors import instrument_current
from yiyang.core.audit import audit_record, diff, snapshot
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, Role, actor_user, has_perm, require_perm
from yiyang.elders.choices import AbilityLevel, EconomicStatus, ElderStatus
from yiyang.elders.models import Elder
from yiyang.elders.sensitive import seal, unseal
from yiyang.elders.services import access_logged, elder_ability_level_set
from yiyang.elders.tags import age_on

ASSESSMENT_OBJECT_TYPE = "assessments.assessment"
RULE_OBJECT_TYPE = "assessments.eligibilityrule"
INSTRUMENT_DIR = Path(__file__).resolve().parent / "instruments"
GBT42195 = "GB/T 42195-2022"
BARTHEL = "Barthel"


def rules_from_settings() -> scoring.Rules:
    return scoring.Rules(
        stack_raising_rules=bool(settings.ASSESSMENT_RULES_STACK),
        barthel_band_scheme=str(settings.BARTHEL_BAND_SCHEME),
    )


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def _in_scope(actor: Actor, division_code: str) -> bool:
    return actor.scope.covers(division_code=division_code, organisation_id=None)


def _history(actor: Actor, assessment: Assessment, action: str, changes: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=assessment,
        object_type=ASSESSMENT_OBJECT_TYPE,
        object_repr=f"{assessment.instrument.code} {assessment.elder.name}",
        division_code=assessment.division_code,
        changes=changes,
    )


def _scoring_errors(error: scoring.ScoringError) -> ValidationError:
    return ValidationError({key: [reason] for key, reason in error.errors.items()})


# --------------------------------------------------------------------------------------------
# Instruments: versioned data


@transaction.atomic
def instrument_load(*, definition: Mapping[str, Any], activate: bool = True) -> Instrument:
    """Store an edition of an instrument (a JSON definition). An existing code and version
    with the same definition is left alone; a different one is refused (a new edition needs
    a new version). Activating it retires the instrument's other editions."""
    problems = scoring.validate_definition(definition)
    if problems:
        raise ValidationError({"definition": problems})
    existing = Instrument.objects.filter(
        code=definition["code"], version=definition["version"]
    ).first()
    if existing is not None:
        if existing.definition != dict(definition):
            raise ValidationError(
                {"version": _("This edition exists with other content; give it a new version.")}
            )
        return existing
    instrument = Instrument.objects.create(
        code=definition["code"],
        version=definition["version"],
        title=definition["title"],
        engine=definition["engine"],
        definition=dict(definition),
        is_active=activate,
    )
    if activate:
        Instrument.objects.filter(code=instrument.code).exclude(pk=instrument.pk).update(
            is_active=False
        )
    return instrument


def instruments_load_builtin() -> list[Instrument]:
    """The instruments shipped with the platform (GB/T 42195-2022 and the Barthel Index)."""
    return [
        instrument_load(definition=json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(INSTRUMENT_DIR.glob("*.json"))
    ]


def instrument_definition(instrument: Instrument) -> dict[str, Any]:
    """The definition with the settings the standard leaves open applied (wording of B.1.7
    option 3), as forms and reports show it."""
    definition = json.loads(json.dumps(instrument.definition))
    wording = str(settings.ASSESSMENT_B173_WORDING)
    for domain in definition["domains"]:
        for item in domain["items"]:
            for option in item["options"]:
                option["text"] = option["text"].replace("{B.1.7.3}", wording)
    return definition


# --------------------------------------------------------------------------------------------
# Scoring without saving (the preview API and the form's running score)


def assessment_preview(
    *,
    actor: Actor,
    instrument_code: str,
    answers: Any,
    coma: bool = False,
    diagnoses: Any = None,
    risk_events_30d: Any = None,
    complete: bool = True,
) -> scoring.Result:
    """Score answers with the current edition of an instrument; nothing is written."""
    if not (
        has_perm(actor, Permission.CONDUCT_ASSESSMENTS)
        or has_perm(actor, Permission.REVIEW_ASSESSMENTS)
    ):
        raise PermissionDenied("preview_assessment")
    instrument = instrument_current(code=instrument_code)
    if instrument is None:
        raise ValidationError({"instrument": _("No instrument with this code is in use.")})
    facts = scoring.Facts(
        coma=bool(coma), diagnoses=diagnoses or [], risk_events_30d=risk_events_30d or {}
    )
    try:
        return scoring.score(
            instrument.definition, answers, facts, rules_from_settings(), complete=complete
        )
    except scoring.ScoringError as error:
        raise _scoring_errors(error) from error


# --------------------------------------------------------------------------------------------
# The workflow


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
    if not _in_scope(actor, assessment.division_code):
        raise ValidationError({"elder": _("This elder lies outside your jurisdiction.")})
    if assessment.status not in (AssessmentStatus.REQUESTED, AssessmentStatus.SCHEDULED):
        errors["status"] = _("Only a requested or scheduled assessment can be scheduled.")
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
    pk = getattr(actor, "pk", None)
    if pk is None or pk not in (assessment.assessor_id, assessment.second_assessor_id):
        raise ValidationError({"assessor": _("Only an assessor of this assessment may do this.")})
    if not _in_scope(actor, assessment.division_code):
        raise ValidationError({"elder": _("This elder lies outside your jurisdiction.")})
    if AssessorDeclaration.objects.filter(assessor_id=pk, elder_id=assessment.elder_id).exists():
        raise ValidationError({"assessor": _("You have declared a relation to this elder.")})


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
    if assessment.status not in EDITABLE_STATUSES:
        raise ValidationError({"status": _("This assessment can no longer be changed.")})
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
    if assessment.status == AssessmentStatus.SUBMITTED:
        raise ValidationError({"status": _("This assessment has already been submitted.")})
    if assessment.status not in EDITABLE_STATUSES:
        raise ValidationError({"status": _("This assessment can no longer be changed.")})
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


def _require_reviewer(actor: Actor, assessment: Assessment) -> None:
    require_perm(actor, Permission.REVIEW_ASSESSMENTS)
    if not _in_scope(actor, assessment.division_code):
        raise ValidationError({"elder": _("This elder lies outside your jurisdiction.")})
    pk = getattr(actor, "pk", None)
    if pk is not None and pk == assessment.assessor_id:
        raise ValidationError(
            {"reviewer": _("The assessor who led an assessment cannot review it.")}
        )
    if (
        pk is not None
        and AssessorDeclaration.objects.filter(
            assessor_id=pk, elder_id=assessment.elder_id
        ).exists()
    ):
        raise ValidationError({"reviewer": _("You have declared a relation to this elder.")})
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted assessment can be reviewed.")})


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
    if not _in_scope(actor, assessment.division_code):
        raise ValidationError({"elder": _("This elder lies outside your jurisdiction.")})
    if assessment.status not in (
        AssessmentStatus.REQUESTED,
        AssessmentStatus.SCHEDULED,
        AssessmentStatus.IN_PROGRESS,
        AssessmentStatus.RETURNED,
    ):
        raise ValidationError({"status": _("A submitted or final assessment is not cancelled.")})
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


# --------------------------------------------------------------------------------------------
# Care-risk events and declared relations


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


def risk_events_30d(elder: Elder, today: datetime.date | None = None) -> dict[str, int]:
    """Care-risk events of the last 30 days per kind (A.2.14), to pre-fill the form."""
    today = today or timezone.localdate()
    counts: dict[str, int] = {}
    for kind in CareRiskEvent.objects.filter(
        elder=elder,
        kind__in=RISK_RULE_KINDS,
        occurred_on__gt=today - datetime.timedelta(days=30),
        occurred_on__lte=today,
    ).values_list("kind", flat=True):
        counts[kind] = min(counts.get(kind, 0) + 1, scoring.MAX_EVENTS_PER_KIND)
    return counts


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


# --------------------------------------------------------------------------------------------
# Eligibility rules and entitlements

RULE_FIELDS = (
    "name",
    "entitlement",
    "amount_yuan",
    "unit",
    "min_level",
    "max_level",
    "economic_statuses",
    "min_age",
    "valid_from",
    "valid_to",
    "is_active",
)


def _rule_values(values: Mapping[str, Any], base: EligibilityRule) -> dict[str, str]:
    """Apply ``values`` to ``base`` and return the errors (field: reason)."""
    errors: dict[str, str] = {}
    for name in values:
        if name not in RULE_FIELDS:
            errors[name] = _("Unknown field.")
    name = str(values.get("name", base.name) or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("Give a name of at most 100 characters.")
    base.name = name
    kind = values.get("entitlement", base.entitlement)
    if kind not in EntitlementKind.values:
        errors["entitlement"] = _("Choose an entitlement from the list.")
    base.entitlement = kind
    unit = values.get("unit", base.unit)
    if unit not in EntitlementUnit.values:
        errors["unit"] = _("Choose a unit from the list.")
    base.unit = unit
    amount = values.get("amount_yuan", base.amount_yuan)
    if amount in ("", None):
        base.amount_yuan = None
        if unit != EntitlementUnit.ONE_OFF:
            errors["amount_yuan"] = _("Give the amount in yuan.")
    else:
        try:
            base.amount_yuan = Decimal(str(amount)).quantize(Decimal("0.01"))
            if base.amount_yuan < 0 or base.amount_yuan > Decimal("99999"):
                errors["amount_yuan"] = _("The amount must lie between 0 and 99,999 yuan.")
        except InvalidOperation:
            errors["amount_yuan"] = _("Give the amount as a number.")
    for field, default in (("min_level", base.min_level), ("max_level", base.max_level)):
        level = values.get(field, default)
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
            errors[field] = _("A level from 0 to 4.")
        else:
            setattr(base, field, level)
    if "min_level" not in errors and "max_level" not in errors and base.min_level > base.max_level:
        errors["max_level"] = _("The highest level lies below the lowest.")
    statuses = values.get("economic_statuses", base.economic_statuses)
    if not isinstance(statuses, list | tuple) or any(
        s not in EconomicStatus.values for s in statuses
    ):
        errors["economic_statuses"] = _("Choose economic statuses from the list.")
    else:
        base.economic_statuses = sorted(set(statuses))
    age = values.get("min_age", base.min_age)
    if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120:
        errors["min_age"] = _("An age from 0 to 120.")
    else:
        base.min_age = age
    for field in ("valid_from", "valid_to"):
        day = values.get(field, getattr(base, field))
        if day is not None and not isinstance(day, datetime.date):
            errors[field] = _("Give a date.")
        else:
            setattr(base, field, day)
    if base.valid_from is None and "valid_from" not in errors:
        errors["valid_from"] = _("Give the date the rule takes effect.")
    if (
        "valid_from" not in errors
        and "valid_to" not in errors
        and base.valid_to is not None
        and base.valid_from is not None
        and base.valid_to < base.valid_from
    ):
        errors["valid_to"] = _("The end lies before the start.")
    active = values.get("is_active", base.is_active)
    if not isinstance(active, bool):
        errors["is_active"] = _("Answer yes or no.")
    else:
        base.is_active = active
    return errors


def _rule_history(actor: Actor, rule: EligibilityRule, action: str, changes: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=rule,
        object_type=RULE_OBJECT_TYPE,
        object_repr=rule.name,
        changes=changes,
    )


@transaction.atomic
def eligibility_rule_create(*, actor: Actor, **values: Any) -> EligibilityRule:
    require_perm(actor, Permission.MANAGE_ELIGIBILITY)
    rule = EligibilityRule()
    errors = _rule_values(values, rule)
    if errors:
        raise ValidationError(errors)
    rule.save()
    _rule_history(actor, rule, AuditAction.CREATE, diff({}, snapshot(rule, RULE_FIELDS)))
    return rule


@transaction.atomic
def eligibility_rule_update(
    *, actor: Actor, rule: EligibilityRule, **values: Any
) -> EligibilityRule:
    """Change a rule; its history keeps every earlier value (who, when, before, after)."""
    require_perm(actor, Permission.MANAGE_ELIGIBILITY)
    rule = EligibilityRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule, RULE_FIELDS)
    errors = _rule_values(values, rule)
    if errors:
        raise ValidationError(errors)
    changes = diff(before, snapshot(rule, RULE_FIELDS))
    if changes:
        rule.save()
        _rule_history(actor, rule, AuditAction.UPDATE, changes)
    return rule


@dataclass
class Entitlement:
    rule: EligibilityRule
    reasons: list[str]


def elder_level(elder: Elder) -> int | None:
    """The elder's current ability level as 0-4 (None when never assessed)."""
    order = [level.value for level in AbilityLevel]
    return order.index(elder.ability_level) if elder.ability_level in order else None


def entitlements_for(
    *, elder: Elder, today: datetime.date | None = None, rules: list[EligibilityRule] | None = None
) -> list[Entitlement]:
    """What an elder is entitled to under the rules in force today, each with the reasons
    (level, economic status, age) the platform found. Nothing is typed in by hand. A rule
    that does not restrict the level (0-4) reaches elders never assessed too (age-only)."""
    today, level = today or timezone.localdate(), elder_level(elder)
    if elder.status == ElderStatus.DECEASED:
        return []
    age = age_on(elder.birth_date, today)
    if rules is None:
        rules = list(EligibilityRule.objects.filter(is_active=True))
    found: list[Entitlement] = []
    level_label = _("not assessed") if level is None else AbilityLevel(elder.ability_level).label
    for rule in rules:
        if not rule.is_active or rule.valid_from > today or (rule.valid_to or today) < today:
            continue
        low, high = rule.min_level, rule.max_level
        if not ((low, high) == (0, 4) if level is None else low <= level <= high):
            continue
        if rule.economic_statuses and elder.economic_status not in rule.economic_statuses:
            continue
        if age < rule.min_age:
            continue
        reasons = [
            _("ability level: %(level)s (%(low)s-%(high)s required)")
            % {"level": level_label, "low": rule.min_level, "high": rule.max_level},
            _("age %(age)s (at least %(min)s)") % {"age": age, "min": rule.min_age},
        ]
        if rule.economic_statuses:
            reasons.append(
                _("economic status: %(status)s")
                % {"status": EconomicStatus(elder.economic_status).label}
            )
        found.append(Entitlement(rule, [str(r) for r in reasons]))
    return found
