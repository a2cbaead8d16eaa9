"""Ratings and complaints from family members, and the answers to complaints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.selectors import family_elder_ids
from yiyang.visits.choices import (
    DONE_STATUSES,
    ReviewStatus,
    VisitOutcome,
)
from yiyang.visits.models import (
    Complaint,
    Visit,
    VisitRating,
)
from yiyang.visits.services.common import (
    _audit,
    _user,
)

# Apps above this one that keep the city's complaint register append a callable here; each
# is called with the new complaint inside the same transaction (supervision's register).
COMPLAINT_INTAKE: list[Callable[..., Any]] = []
# ... and one called when a complaint is answered here, so the register follows.
COMPLAINT_ANSWERED: list[Callable[..., Any]] = []


def _require_family(actor: Actor, visit: Visit) -> None:
    require_perm(actor, Permission.RATE_VISITS)
    if visit.elder_id not in family_elder_ids(user=actor):
        raise PermissionDenied("elder")


@transaction.atomic
def visit_rate(*, actor: Actor, visit: Visit, stars: Any, comment: str = "") -> VisitRating:
    _require_family(actor, visit)
    errors: dict[str, str] = {}
    try:
        stars = int(stars)
        if not 1 <= stars <= 5:
            raise ValueError
    except (TypeError, ValueError):
        errors["stars"] = _("Give 1 to 5 stars.")
    if (
        visit.status not in DONE_STATUSES
        or visit.outcome not in ("", VisitOutcome.DONE)
        or visit.review_status == ReviewStatus.REJECTED
    ):
        errors["visit"] = _("Only a visit that took place can be rated.")
    if VisitRating.objects.filter(visit=visit).exists():
        errors["visit"] = _("This visit has already been rated.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            rating = VisitRating.objects.create(
                visit=visit, stars=stars, comment=str(comment or "")[:500], rated_by=_user(actor)
            )
    except IntegrityError as exc:
        raise ValidationError({"visit": _("This visit has already been rated.")}) from exc
    _audit(actor, AuditAction.CREATE, visit, visit.division_code, {"rating": [None, stars]})
    return rating


@transaction.atomic
def complaint_make(*, actor: Actor, visit: Visit, text: str) -> Complaint:
    _require_family(actor, visit)
    text = str(text or "").strip()
    if not text:
        raise ValidationError({"text": _("Describe the complaint.")})
    complaint = Complaint.objects.create(
        visit=visit, provider_id=visit.provider_id, division_code=visit.division_code,
        text=text[:1000], made_by=_user(actor),
    )  # fmt: skip
    _audit(
        actor, AuditAction.CREATE, complaint, visit.division_code, {"complaint": [None, text[:200]]}
    )
    for intake in COMPLAINT_INTAKE:
        intake(actor=actor, complaint=complaint)
    return complaint


@transaction.atomic
def complaint_answer(
    *, actor: Actor, complaint: Complaint, answer: str, close: bool = True
) -> Complaint:
    require_perm(actor, Permission.ANSWER_COMPLAINTS)
    if not actor.scope.covers(
        division_code=complaint.division_code, organisation_id=complaint.provider_id
    ):
        raise PermissionDenied("complaint")
    answer = str(answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer.")})
    complaint.answer = answer[:1000]
    complaint.status = "closed" if close else "answered"
    complaint.save(update_fields=["answer", "status", "updated_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        complaint,
        complaint.division_code,
        {"answer": [None, answer[:200]]},
    )
    for hook in COMPLAINT_ANSWERED:
        hook(actor=actor, complaint=complaint)
    return complaint
