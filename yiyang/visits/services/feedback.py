"""Ratings of visits from family members. (Complaints go to the city's register in the
supervision app: ``supervision.services.complaint_from_family``.)"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.visits.models import (
    Visit,
    VisitRating,
)
from yiyang.visits.services import transitions
from yiyang.visits.services.common import (
    _audit,
    _user,
)


def _require_family(actor: Actor, visit: Visit) -> None:
    require_perm(actor, Permission.RATE_VISITS)
    if visit.elder_id not in (actor.scope.elder_ids or ()):  # their linked elders
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
    if not transitions.rateable(visit):
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
    _audit(actor, AuditAction.CREATE, visit, visit.division_code, transitions.rating_changes(stars))
    return rating
