"""Demo assessments: about a third of the demo elders assessed by GB/T 42195-2022, older,
poorer and lone elders more often, with levels that rise with age; some due or overdue; a
worklist for the demo assessor and reviewer; eligibility rules with entitlements.

Final assessments of the past are written in bulk (the workflow services would take minutes
for thousands); each is scored by the same scoring code, sealed like any other, and leaves
the same history entries on the assessment and on the elder whose level it set.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.assessments import scoring
from yiyang.assessments.choices import AssessmentReason, AssessmentStatus, RequestedVia
from yiyang.assessments.models import Assessment, EligibilityRule
from yiyang.assessments.selectors import instrument_current
from yiyang.assessments.services import (
    add_months,
    assessment_request,
    assessment_save,
    assessment_schedule,
    assessment_submit,
    eligibility_rule_create,
    rules_from_settings,
)
from yiyang.core.choices import AuditAction
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders.choices import AbilityLevel, ElderStatus, LivingArrangement
from yiyang.elders.models import Elder
from yiyang.elders.sensitive import seal
from yiyang.elders.tags import age_on

GB = "GB/T 42195-2022"
# Chance of each level (0 intact .. 4 complete loss) by age band, among assessed elders.
LEVEL_WEIGHTS = {
    60: [0.55, 0.30, 0.10, 0.04, 0.01],
    70: [0.35, 0.35, 0.17, 0.09, 0.04],
    80: [0.15, 0.30, 0.25, 0.18, 0.12],
}
LEVEL_CODES = [level.value for level in AbilityLevel]


@dataclass
class DemoAssessments:
    created: int = 0
    existing: int = 0
    rules: int = 0


def _answers_for(
    rng: random.Random, definition: dict[str, Any], low: int, high: int
) -> dict[str, int]:
    """Answers whose total falls in [low, high]: points taken off random items."""
    items = scoring.items_of(definition)
    options = {code: sorted(o["points"] for o in item["options"]) for code, item in items.items()}
    answers = {code: points[-1] for code, points in options.items()}
    total = sum(answers.values())
    target = rng.randint(low, high)
    codes = list(options)
    for _ in range(2000):
        if total <= target:
            break
        code = rng.choice(codes)
        lower = [p for p in options[code] if p < answers[code]]
        if not lower:
            continue
        step = answers[code] - lower[-1]
        if total - step < low:
            continue
        answers[code] = lower[-1]
        total -= step
    return answers


def _assessors(district: Division, index: int, fallback: User) -> User:
    """One assessor per district: the demo login in its own district, a named colleague
    (who cannot log in) elsewhere."""
    if fallback.division_id == district.pk:
        return fallback
    user, created = User.objects.get_or_create(
        username=f"assessor_{index:02d}",
        defaults={"role": Role.ASSESSOR, "division": district, "full_name": f"评估员{index:02d}"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _rules(actor: SystemActor, today: datetime.date) -> int:
    if EligibilityRule.objects.exists():
        return 0
    start = datetime.date(today.year, 1, 1)
    poor = ["extremely_poor", "minimum_living", "low_income"]
    rows = [
        ("居家养老服务补贴（轻度失能）", "home_care_allowance", "200", "per_month", 1, 1, poor, 60),
        ("居家养老服务补贴（中度失能）", "home_care_allowance", "400", "per_month", 2, 2, poor, 60),
        (
            "居家养老服务补贴（重度、完全失能）",
            "home_care_allowance",
            "600",
            "per_month",
            3,
            4,
            poor,
            60,
        ),
        ("高龄老人助餐补贴", "meal_subsidy", "5", "per_meal", 0, 4, [], 80),
        ("困难老人助餐补贴", "meal_subsidy", "3", "per_meal", 0, 4, poor, 60),
        ("失能老人智能安全设备", "wearable_device", None, "one_off", 2, 4, [], 60),
        (
            "特困失能老人入住机构补贴",
            "care_home_subsidy",
            "1200",
            "per_month",
            3,
            4,
            ["extremely_poor"],
            60,
        ),
    ]
    for name, kind, amount, unit, low, high, statuses, age in rows:
        eligibility_rule_create(
            actor=actor,
            name=name,
            entitlement=kind,
            amount_yuan=None if amount is None else Decimal(amount),
            unit=unit,
            min_level=low,
            max_level=high,
            economic_statuses=statuses,
            min_age=age,
            valid_from=start,
        )
    return len(rows)


def demo_assessments_build(*, seed: int = 20261122, city_prefix: str = "4191") -> DemoAssessments:
    """Assess about a third of the demo city's elders (once: nothing when any exist)."""
    actor = SystemActor(Scope(division_prefix=city_prefix), username="seed-demo")
    today = timezone.localdate()
    result = DemoAssessments(rules=_rules(actor, today))
    instrument = instrument_current(code=GB)
    existing = Assessment.objects.filter(division_code__startswith=city_prefix).count()
    if existing or instrument is None:
        result.existing = existing
        return result
    rng = random.Random(seed)
    elders = list(
        Elder.objects.filter(division_code__startswith=city_prefix, status=ElderStatus.ACTIVE)
        .only(
            "id",
            "external_id",
            "name",
            "birth_date",
            "division_code",
            "living_arrangement",
            "economic_status",
            "ability_level",
        )
        .order_by("id")
    )
    demo_assessor = User.objects.filter(username="assessor").first()
    if not elders or demo_assessor is None:
        return result
    districts = {
        d.code[:6]: d
        for d in Division.objects.filter(code__startswith=city_prefix, level="district").order_by(
            "code"
        )
    }
    signers = _Signers(
        assessor_of={
            code: _assessors(district, index, demo_assessor)
            for index, (code, district) in enumerate(sorted(districts.items()), start=1)
        },
        demo_assessor=demo_assessor,
        reviewer=User.objects.filter(username="district_officer").first(),
        admin=User.objects.filter(username="city_admin").first(),
    )
    ranked = _ranked(rng, elders, today)
    chosen, rest = ranked[: len(elders) // 3], ranked[len(elders) // 3 :]
    now = timezone.now()
    rules = rules_from_settings()
    rows = [_final(rng, instrument, rules, signers, elder, today, now) for elder in chosen]
    _store(chosen, rows)
    result.created = len(rows)
    result.created += _worklist(rng, demo_assessor, districts, rest, now)
    return result


@dataclass
class _Signers:
    """Who assessed (by district) and who finalised the demo's past assessments."""

    assessor_of: dict[str, User]
    demo_assessor: User
    reviewer: User | None
    admin: User | None


def _ranked(rng: random.Random, elders: list[Elder], today: datetime.date) -> list[Elder]:
    """The oldest, those living alone and the poorest are assessed first (with chance)."""

    def priority(elder: Elder) -> float:
        age = age_on(elder.birth_date, today)
        bonus = 0.5 if age >= 80 else 0.2 if age >= 70 else 0.0
        if elder.living_arrangement == LivingArrangement.ALONE:
            bonus += 0.2
        if elder.economic_status in ("extremely_poor", "minimum_living"):
            bonus += 0.3
        return rng.random() + bonus

    return sorted(elders, key=priority, reverse=True)


def _final(
    rng: random.Random,
    instrument: Any,
    rules: Any,
    signers: _Signers,
    elder: Elder,
    today: datetime.date,
    now: datetime.datetime,
) -> Assessment:
    """A finalised first assessment scored by the instrument, within the last 14 months."""
    definition = instrument.definition
    age = age_on(elder.birth_date, today)
    weights = LEVEL_WEIGHTS[80 if age >= 80 else 70 if age >= 70 else 60]
    level = rng.choices(range(5), weights)[0]
    band = next(b for b in definition["levels"] if b["level"] == level)
    facts = scoring.Facts()
    if level >= 2 and rng.random() < 0.15:  # dementia raised it from the level below
        lower = next(b for b in definition["levels"] if b["level"] == level - 1)
        band, facts = lower, scoring.Facts(diagnoses=["F03"])
    answers = _answers_for(rng, definition, band["min"], band["max"])
    outcome = scoring.score(definition, answers, facts, rules)
    # Finalised within the last 14 months: some valid, some due soon, some overdue.
    finalised = now - datetime.timedelta(days=rng.randint(5, 425), hours=rng.randint(0, 9))
    assessor = signers.assessor_of.get(elder.division_code[:6], signers.demo_assessor)
    sealed = {"answers": answers, "coma": False, "diagnoses": facts.diagnoses}
    return Assessment(
        elder=elder,
        division_code=elder.division_code,
        instrument=instrument,
        reason=AssessmentReason.FIRST,
        status=AssessmentStatus.FINAL,
        requested_via=RequestedVia.COMMUNITY_WORKER,
        assessor=assessor,
        scheduled_at=finalised - datetime.timedelta(days=2),
        place="家中",
        answers_ciphertext=seal({**sealed, "risk_events_30d": {}}),
        result_ciphertext=seal(outcome.as_dict()),
        answered_items=outcome.answered,
        total=outcome.total,
        preliminary_level=outcome.preliminary_level,
        final_level=outcome.final_level,
        submitted_at=finalised - datetime.timedelta(days=1),
        finalised_at=finalised,
        finalised_by=signers.reviewer if assessor == signers.demo_assessor else signers.admin,
        valid_until=add_months(finalised.date(), 12),
    )


@transaction.atomic
def _store(chosen: list[Elder], rows: list[Assessment]) -> None:
    """The assessments, the elders' new ability levels, and the audit rows of both."""
    Assessment.objects.bulk_create(rows, batch_size=500)
    history = []
    for elder, row in zip(chosen, rows, strict=True):
        code = LEVEL_CODES[int(row.final_level or 0)]  # set on every final row
        history.append(
            AuditEvent(
                actor_username="seed-demo",
                action=AuditAction.UPDATE,
                object_type="elders.elder",
                object_id=str(elder.external_id),
                object_repr=elder.name,
                division_code=elder.division_code,
                changes={"ability_level": [elder.ability_level, code]},
            )
        )
        elder.ability_level = code
    for row in rows:
        history.append(
            AuditEvent(
                actor_username="seed-demo",
                action=AuditAction.CREATE,
                object_type="assessments.assessment",
                object_id=str(row.external_id),
                object_repr=f"{GB} {row.elder.name}",
                division_code=row.division_code,
                changes={"status": [None, "final"], "final_level": [None, row.final_level]},
            )
        )
    Elder.objects.bulk_update(chosen, ["ability_level"], batch_size=1000)
    AuditEvent.objects.bulk_create(history, batch_size=1000)


def _worklist(
    rng: random.Random,
    assessor: User,
    districts: dict[str, Division],
    rest: list[Elder],
    now: datetime.datetime,
) -> int:
    """Open assessments in the demo assessor's district, through the workflow services:
    requests to take up, visits scheduled for the coming days, forms half-filled, and
    submitted ones waiting for the district officer's review."""
    instrument = instrument_current(code=GB)
    district = assessor.division
    if instrument is None or district is None:
        return 0
    prefix = district.code[:6]
    mine = [e for e in rest if e.division_code.startswith(prefix)][:20]
    worker = SystemActor(Scope(division_prefix=prefix), username="seed-demo")
    created = 0
    definition = instrument.definition
    for index, elder in enumerate(mine):
        reason = AssessmentReason.FIRST if index % 4 else AssessmentReason.IMMEDIATE
        assessment = assessment_request(actor=worker, elder=elder, reason=reason)
        created += 1
        if index < 5:
            continue  # requested, waiting for an assessor
        assessment = assessment_schedule(
            actor=worker,
            assessment=assessment,
            assessor=assessor,
            scheduled_at=now + datetime.timedelta(days=index % 4, hours=1 + index % 6),
            place="家中",
        )
        if index < 12:
            continue  # scheduled
        answers = _answers_for(rng, definition, 40, 85)
        if index < 16:
            half = dict(list(answers.items())[:10])
            assessment_save(actor=assessor, assessment=assessment, values={"answers": half})
        else:
            assessment_submit(actor=assessor, assessment=assessment, values={"answers": answers})
    return created
