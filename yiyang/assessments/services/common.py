"""What the assessment workflows share: object types, instrument codes, the rules from
settings, month arithmetic, scope and history helpers."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from yiyang.assessments import scoring
from yiyang.assessments.choices import RISK_RULE_KINDS
from yiyang.assessments.models import Assessment, CareRiskEvent
from yiyang.core.audit import audit_record
from yiyang.core.permissions import Actor
from yiyang.elders.models import Elder

ASSESSMENT_OBJECT_TYPE = "assessments.assessment"


RULE_OBJECT_TYPE = "assessments.eligibilityrule"


INSTRUMENT_DIR = Path(__file__).resolve().parent.parent / "instruments"


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
