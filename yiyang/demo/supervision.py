"""The demo city's supervision: published star levels for some institutions, one
evaluation assigned to the ``evaluator`` login, open (and overdue) complaints, and the
first district's inspection plan with a few inspections done. Through the services."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.models import Division
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.services import CITY_CODE
from yiyang.organisations.models import Organisation
from yiyang.supervision import services
from yiyang.supervision.models import Complaint, Inspection, Rating
from yiyang.supervision.selectors import active_scheme


@dataclass
class DemoSupervision:
    created: bool = False
    published: int = 0
    complaints: int = 0
    inspections: int = 0
    evaluations: int = 0


def _scores(rng: random.Random, scheme: object, share: float) -> dict[str, dict[str, object]]:
    scores = {}
    for item in scheme.items.all():  # type: ignore[attr-defined]
        points = item.max_points * Decimal(str(min(1.0, share + rng.uniform(-0.05, 0.05))))
        scores[item.code] = {
            "points": points.quantize(Decimal("1")),
            "note": "现场核查",
        }
    return scores


def demo_supervision_build(*, seed: int = 20261122) -> DemoSupervision:
    prefix = CITY_CODE[:4]
    evaluator = User.objects.filter(username="evaluator").first()
    if evaluator is None or Rating.objects.filter(division_code__startswith=prefix).exists():
        return DemoSupervision()
    rng = random.Random(seed + 16)
    city = Scope(division_prefix=prefix)
    admin = SystemActor(city, username="system:seed-demo")
    district = SystemActor(city, username="system:seed-demo", role=Role.DISTRICT_OFFICER)
    institutions = list(
        Organisation.objects.filter(
            division__code__startswith=prefix,
            kind="care_institution",
            status="active",
        )
        .select_related("division")
        .order_by("id")[:9]
    )
    scheme = active_scheme("care_institution")
    result = DemoSupervision(created=True)
    for number, organisation in enumerate(institutions):
        manager = SystemActor(
            Scope(organisation_ids=frozenset({organisation.pk})),
            username="system:seed-demo",
            role=Role.PROVIDER_MANAGER,
        )
        rating = services.rating_apply(
            actor=manager, organisation=organisation, applied_level=rng.randint(3, 5)
        )
        rating = services.rating_assign(actor=admin, rating=rating, evaluator=evaluator)
        if number == len(institutions) - 1:
            break  # the evaluator's open assignment
        services.rating_score(
            actor=evaluator,
            rating=rating,
            scores=_scores(rng, scheme, rng.choice([0.62, 0.82, 0.93])),
        )
        services.rating_finish_scoring(actor=evaluator, rating=rating)
        services.rating_review(actor=district, rating=rating, approve=True)
        services.rating_publish(actor=admin, rating=rating)
        result.published += 1
    operator = SystemActor(city, username="system:seed-demo", role=Role.OPERATOR)
    now = timezone.now()
    providers = list(
        Organisation.objects.filter(
            division__code__startswith=prefix,
            kind__in=["care_institution", "home_care_company"],
        )
        .select_related("division")
        .order_by("id")[:6]
    )
    texts = ["护理员上门迟到", "饭菜偏咸", "收费不透明", "服务态度差", "房间卫生差", "夜间无人值守"]
    for number, (provider, text) in enumerate(zip(providers, texts, strict=False)):
        services.complaint_register(
            actor=operator,
            organisation=provider,
            text=text,
            channel=["call_centre", "walk_in", "hotline_12345"][number % 3],
            received_at=now - datetime.timedelta(days=3 * number),
            work_order=f"12345-{seed}-{number}" if number % 3 == 2 else "",
        )
    services.overdue_escalate(actor=admin)
    result.complaints = Complaint.objects.filter(division_code__startswith=prefix).count()
    first = (
        Division.objects.filter(code=institutions[0].division.code[:6] + "000000").first()
        if institutions
        else None
    )
    if first is not None:
        services.inspection_plan_generate(actor=admin, district=first, year=now.year)
        result.inspections = Inspection.objects.filter(plan__division=first).count()
    result.evaluations = _evaluations(admin, evaluator, now.year)
    return result


def _evaluations(admin: SystemActor, evaluator: User, year: int) -> int:
    """The year's evaluations of purchased services; the evaluator is given the first."""
    made = services.evaluation_tasks_generate(actor=admin, year=year)
    if made:
        services.evaluation_assign(actor=admin, evaluation=made[0], evaluator=evaluator)
    return len(made)
