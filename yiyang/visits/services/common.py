"""Shared plumbing of the visit services: the audit helper, the scope check, money and
time helpers, the location fix."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.permissions import Actor, actor_user
from yiyang.elders.models import Elder
from yiyang.visits.choices import (
    PlacedVia,
)
from yiyang.visits.models import (
    Visit,
    VisitEvent,
)

CENT = Decimal("0.01")


VIA_BY_ROLE = {
    "community_worker": PlacedVia.COMMUNITY_WORKER,
    "operator": PlacedVia.CALL_CENTRE,
    "family": PlacedVia.FAMILY,
    "provider_manager": PlacedVia.PROVIDER,
    "street_officer": PlacedVia.OFFICER,
}


_user = actor_user  # the stored user behind the actor (None for the platform itself)


def _audit(
    actor: Actor, action: str, obj: Any, division_code: str, changes: dict[str, Any]
) -> None:
    audit_record(actor=actor, action=action, obj=obj, division_code=division_code, changes=changes)


def _require_elder_in_scope(actor: Actor, elder: Elder) -> None:
    """Family members act for their linked, consenting elder; an actor bound to providers
    for the elders living where they serve (as the order page and API find the elder,
    ``selectors.order_elder_get``); everyone else in their divisions."""
    scope = actor.scope
    if scope.organisation_ids is not None and scope.elder_ids is None:
        reached = scope.serves_division_code(elder.division_code)
    else:
        reached = scope.covers_elder(elder_id=elder.pk, division_code=elder.division_code)
    if not reached:
        raise PermissionDenied("elder")


def _aware(day: datetime.date, at: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))


def _money(value: Any, field: str, errors: dict[str, str]) -> Decimal:
    if value in (None, ""):
        return Decimal("0.00")
    try:
        amount = Decimal(str(value)).quantize(CENT)
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
        return amount
    except (InvalidOperation, ValueError):
        errors[field] = _("Give an amount of yuan, 0 or more.")
        return Decimal("0.00")


@dataclass(frozen=True)
class Fix:
    """A phone's report: where (with accuracy), when it happened, and when it was sent
    (the phone's own clock, to detect skew in actions queued offline)."""

    latitude: float | None
    longitude: float | None
    accuracy: float | None
    at: datetime.datetime | None = None
    sent_at: datetime.datetime | None = None
    client_action_id: uuid.UUID | None = None


def _event(
    visit: Visit,
    kind: str,
    at: datetime.datetime,
    actor: Actor,
    client_id: uuid.UUID | None,
    detail: dict[str, Any] | None = None,
) -> VisitEvent:
    return VisitEvent.objects.create(
        visit=visit,
        kind=kind,
        at=at,
        actor=_user(actor),
        actor_username=actor.username,
        client_action_id=client_id,
        detail=detail or {},
    )


def _when(fix: Fix, visit: Visit, now: datetime.datetime) -> datetime.datetime:
    """When the action happened, checked: the phone's clock must agree with ours, an
    offline action may be at most a few days old, and nothing happens in the future."""
    at = fix.at or now
    if timezone.is_naive(at):
        raise ValidationError({"at": _("Give the time with its time zone (ISO 8601).")})
    skew_limit = datetime.timedelta(seconds=settings.VISIT_MAX_CLOCK_SKEW_SECONDS)
    if fix.sent_at is not None:
        skew = now - fix.sent_at
        if abs(skew) > skew_limit:
            minutes = int(abs(skew).total_seconds() // 60)
            raise ValidationError(
                {
                    "sent_at": _(
                        "The phone's clock is %(hours)d h %(minutes)d min %(way)s: set the phone "
                        "to the network time and send again (nothing was recorded)."
                    )
                    % {
                        "hours": minutes // 60,
                        "minutes": minutes % 60,
                        "way": _("fast") if skew.total_seconds() < 0 else _("slow"),
                    }
                }
            )
    if at > now + skew_limit:
        raise ValidationError(
            {
                "at": _("The time %(at)s lies in the future.")
                % {"at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M")}
            }
        )
    if at < now - datetime.timedelta(hours=settings.VISIT_OFFLINE_MAX_AGE_HOURS):
        raise ValidationError(
            {
                "at": _(
                    "The action is more than %(hours)d hours old; ask the provider to correct the "
                    "visit instead."
                )
                % {"hours": settings.VISIT_OFFLINE_MAX_AGE_HOURS}
            }
        )
    if at < visit.window_start - datetime.timedelta(hours=3):
        raise ValidationError(
            {
                "at": _("This visit is booked for %(window)s; check in to the visit you are at.")
                % {
                    "window": timezone.localtime(visit.window_start).strftime("%Y-%m-%d %H:%M"),
                }
            }
        )
    return at


def _locked(visit: Visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("elder", "item", "order")
        .get(pk=visit.pk)
    )
