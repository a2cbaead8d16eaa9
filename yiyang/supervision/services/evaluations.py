"""Third-party evaluation of purchased services: a yearly task per provider, with a
sample of its service records drawn from the platform (the records to check and the
elders to call), scored by the assigned evaluator section by section against the
template (data), the total stored and compared year to year."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.organisations.choices import PROVIDER_KINDS
from yiyang.organisations.models import Organisation
from yiyang.supervision.choices import EvaluationStatus
from yiyang.supervision.models import EvaluationTemplate, ServiceEvaluation
from yiyang.supervision.services.common import (
    audit,
    audit_update,
    require_area_evaluator,
    require_in_scope,
)
from yiyang.visits.choices import ReviewStatus, VisitOutcome, VisitStatus
from yiyang.visits.models import Visit

# A delivered visit, as the visits app counts it (``Visit.delivered``).
DELIVERED = (
    Q(status=VisitStatus.CONFIRMED)
    & Q(outcome__in=["", VisitOutcome.DONE])
    & Q(review_status__in=[ReviewStatus.NONE, ReviewStatus.ACCEPTED])
)
SAMPLED_KINDS = ("records", "calls")


def _max_total(template: EvaluationTemplate) -> Decimal:
    return sum((Decimal(str(s["max"])) for s in template.sections), Decimal(0))


def evaluation_sample(provider: Organisation, year: int, template: EvaluationTemplate) -> dict:
    """The visits each sampled section checks: drawn at random from the provider's
    delivered visits of the year, the same draw for the same provider and year (the
    evaluator and a later audit see the same records)."""
    visits = list(
        Visit.objects.filter(DELIVERED, provider=provider, date__year=year)
        .order_by("pk")
        .values_list("external_id", flat=True)
    )
    sample: dict[str, list[str]] = {}
    for section in template.sections:
        if section.get("kind") in SAMPLED_KINDS:
            rng = random.Random(f"{provider.pk}:{year}:{section['code']}")  # noqa: S311 - a reproducible draw, not a secret
            size = min(int(section.get("sample", 0)), len(visits))
            sample[section["code"]] = [str(v) for v in rng.sample(visits, size)]
    return sample


@transaction.atomic
def evaluation_tasks_generate(
    *, actor: Actor, year: int, providers: Sequence[Organisation] | None = None
) -> list[ServiceEvaluation]:
    """The year's evaluation tasks: one per provider (by default every provider in the
    actor's jurisdiction that delivered visits in the year) that has none yet."""
    require_perm(actor, Permission.ASSIGN_EVALUATORS)
    template = EvaluationTemplate.objects.filter(is_active=True).order_by("-created_at").first()
    if template is None:
        raise ValidationError({"template": _("No evaluation template is in use.")})
    if not 2000 <= int(year) <= timezone.localdate().year:
        raise ValidationError({"year": _("Give a year up to this one.")})
    if providers is None:
        served = Visit.objects.filter(DELIVERED, date__year=year).values("provider_id")
        providers = list(
            actor.scope.apply(
                Organisation.objects.filter(pk__in=served, kind__in=PROVIDER_KINDS),
                division_code_field="division__code",
                organisation_field="pk",
            ).select_related("division")
        )
    have = set(
        ServiceEvaluation.objects.filter(year=year, provider__in=providers).values_list(
            "provider_id", flat=True
        )
    )
    created = []
    for provider in providers:
        require_in_scope(actor, division_code=provider.division.code, organisation_id=None)
        if provider.pk in have:
            continue
        evaluation = ServiceEvaluation.objects.create(
            provider=provider,
            division_code=provider.division.code,
            year=year,
            template=template,
            sample=evaluation_sample(provider, year, template),
            max_total=_max_total(template),
        )
        audit(
            actor, AuditAction.CREATE, evaluation, evaluation.division_code, {"year": [None, year]}
        )
        created.append(evaluation)
    return created


@transaction.atomic
def evaluation_assign(
    *, actor: Actor, evaluation: ServiceEvaluation, evaluator: Any
) -> ServiceEvaluation:
    """Give the task to a third-party evaluator of the provider's area."""
    require_perm(actor, Permission.ASSIGN_EVALUATORS)
    require_in_scope(actor, division_code=evaluation.division_code, organisation_id=None)
    if evaluation.status != EvaluationStatus.OPEN:
        raise ValidationError({"status": _("This evaluation is already scored.")})
    require_area_evaluator(evaluator, evaluation.division_code)
    before = evaluation.evaluator.username if evaluation.evaluator else None
    evaluation.evaluator = evaluator
    evaluation.save(update_fields=["evaluator", "updated_at"])
    audit_update(actor, evaluation, evaluator=[before, evaluator.username])
    return evaluation


@transaction.atomic
def evaluation_score(
    *, actor: Actor, evaluation: ServiceEvaluation, scores: dict[str, dict[str, Any]]
) -> ServiceEvaluation:
    """The assigned evaluator's points for every section (``{code: {"points", "note"}}``),
    each from 0 to the section's maximum; refused whole when any is wrong or missing."""
    require_perm(actor, Permission.SCORE_RATINGS)
    if evaluation.evaluator_id is None or evaluation.evaluator_id != actor.pk:
        raise PermissionDenied("evaluation")
    errors: dict[str, str] = {}
    if evaluation.status != EvaluationStatus.OPEN:
        errors["status"] = _("This evaluation is already scored.")
    points: dict[str, Decimal] = {}
    for section in evaluation.template.sections:
        code, maximum = section["code"], Decimal(str(section["max"]))
        try:
            value = Decimal(str((scores.get(code) or {}).get("points", "")).strip())
        except ArithmeticError:
            value = Decimal(-1)
        if not value.is_finite() or not Decimal(0) <= value <= maximum:
            errors[f"scores.{code}"] = _("Give 0 to %(max)s points.") % {"max": maximum}
        else:
            points[code] = value
    unknown = set(scores) - {s["code"] for s in evaluation.template.sections}
    for code in sorted(unknown):
        errors[f"scores.{code}"] = _("No such section in the template.")
    if errors:
        raise ValidationError(errors)
    evaluation.scores = {code: str(value) for code, value in points.items()}
    evaluation.notes = {
        code: str((scores.get(code) or {}).get("note") or "")[:1000] for code in points
    }
    evaluation.total = sum(points.values(), Decimal(0))
    evaluation.status = EvaluationStatus.SCORED
    evaluation.scored_at = timezone.now()
    evaluation.save()
    audit_update(actor, evaluation, total=[None, str(evaluation.total)])
    return evaluation
