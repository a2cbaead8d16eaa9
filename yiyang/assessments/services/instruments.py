"""Instruments as versioned data, and scoring without saving (the preview API and the form's
running score)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.assessments import scoring
from yiyang.assessments.models import Instrument
from yiyang.assessments.selectors import instrument_current
from yiyang.assessments.services.common import INSTRUMENT_DIR, _scoring_errors, rules_from_settings
from yiyang.core.permissions import Actor, Permission, has_perm


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
        # Trusted: the instrument files shipped in the repository.
        instrument_load(definition=json.loads(path.read_text(encoding="utf-8")))  # noqa: TID251
        for path in sorted(INSTRUMENT_DIR.glob("*.json"))
    ]


def instrument_definition(instrument: Instrument) -> dict[str, Any]:
    """The definition with the settings the standard leaves open applied (wording of B.1.7
    option 3), as forms and reports show it."""
    # Trusted: a deep copy of the stored definition, which was depth-checked when loaded.
    definition = json.loads(json.dumps(instrument.definition))  # noqa: TID251
    wording = str(settings.ASSESSMENT_B173_WORDING)
    for domain in definition["domains"]:
        for item in domain["items"]:
            for option in item["options"]:
                option["text"] = option["text"].replace("{B.1.7.3}", wording)
    return definition


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
