"""Which actions a visit (and an order) allows now, and to whom: decided here once.

The visit page reads :func:`visit_actions` to show its buttons; each service calls
:func:`visit_action_check` as its guard, so a button is shown exactly when the service would
accept the action (the reason a refused action gives is the same sentence too). The checks
that need the request's data (a location, a reason, the photo itself) stay in the services.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.lifecycle import Refusal, open_actions, permission_refusal, refuse
from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.services.models import Caregiver
from yiyang.services.selectors import caregiver_of_user
from yiyang.visits.choices import OPEN_STATUSES, OrderStatus, VisitStatus
from yiyang.visits.models import Order, Visit, VisitEvent

SECOND_CHECK_IN, SECOND_CHECK_OUT = "second_check_in", "second_check_out"
# A lead may check in from these states (a missed visit is still checked in, late).
CHECK_IN_FROM = (VisitStatus.ASSIGNED, VisitStatus.ON_THE_WAY, VisitStatus.MISSED)
# Checking out without a check-in is accepted and flagged (the phone died at the door).
CHECK_OUT_FROM = (*CHECK_IN_FROM, VisitStatus.CHECKED_IN)
PHOTO_FROM = (VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT, VisitStatus.CONFIRMED)


class VisitAction(enum.StrEnum):
    SET_OFF = "set_off"
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    PHOTO = "photo"
    CANCEL = "cancel"
    CORRECT = "correct"


PERFORMER_ACTIONS = (
    VisitAction.SET_OFF,
    VisitAction.CHECK_IN,
    VisitAction.CHECK_OUT,
    VisitAction.PHOTO,
)


@dataclass(frozen=True)
class Performer:
    """The actor's part in a visit: the caregiver record, and whether they are the second
    caregiver of a two-caregiver visit (who checks in and out only for themselves)."""

    caregiver: Caregiver | None
    second: bool
    presence: dict[str, VisitEvent] = field(default_factory=dict)


def is_second_caregiver(visit: Visit, caregiver: Caregiver) -> bool:
    """Whether ``caregiver`` is the second (not the lead) of a two-caregiver visit."""
    return bool(visit.needs_two) and caregiver.pk == visit.second_caregiver_id


def second_presence_of(visit: Visit) -> dict[str, VisitEvent]:
    """The second caregiver's own check-in and check-out on a two-caregiver visit."""
    if not visit.needs_two:
        return {}
    return {e.kind: e for e in visit.events.filter(kind__in=(SECOND_CHECK_IN, SECOND_CHECK_OUT))}


def performer_of(actor: Actor, visit: Visit) -> Performer:
    caregiver = caregiver_of_user(actor) if has_perm(actor, Permission.PERFORM_VISITS) else None
    if caregiver is None or caregiver.pk not in (visit.caregiver_id, visit.second_caregiver_id):
        return Performer(None, False)
    second = is_second_caregiver(visit, caregiver)
    return Performer(caregiver, second, second_presence_of(visit) if second else {})


def _hhmm(moment: object) -> str:
    return timezone.localtime(moment).strftime("%H:%M")  # type: ignore[arg-type]


def _cancelled(visit: Visit) -> Refusal:
    return Refusal(_("This visit was cancelled: %(reason)s") % {"reason": visit.cancel_reason})


def _second_refusal(visit: Visit, action: VisitAction, performer: Performer) -> Refusal | None:
    done = performer.presence
    if action == VisitAction.PHOTO:  # both caregivers may document the visit
        return _lead_refusal(visit, action)
    if action == VisitAction.SET_OFF:
        return Refusal(_("The lead caregiver runs this visit."), denied=True)
    if visit.status == VisitStatus.CANCELLED:
        return _cancelled(visit)
    kind = SECOND_CHECK_IN if action == VisitAction.CHECK_IN else SECOND_CHECK_OUT
    if kind in done:
        message = (
            _("Already checked in at %(time)s.")
            if kind == SECOND_CHECK_IN
            else _("Already checked out at %(time)s.")
        )
        return Refusal(message % {"time": _hhmm(done[kind].at)})
    if kind == SECOND_CHECK_IN and SECOND_CHECK_OUT in done:
        return Refusal(_("This visit is already checked out."))
    return None


def _lead_refusal(visit: Visit, action: VisitAction) -> Refusal | None:
    state = visit.status
    if state == VisitStatus.CANCELLED:
        return _cancelled(visit)
    if action == VisitAction.SET_OFF and state != VisitStatus.ASSIGNED:
        return Refusal(
            _("Only an assigned visit can be set off to (it is %(status)s).")
            % {"status": visit.get_status_display()}
        )
    if action == VisitAction.CHECK_IN:
        if visit.check_in_at is not None:
            at = _hhmm(visit.check_in_at)
            return Refusal(_("Already checked in at %(time)s.") % {"time": at})
        if state in (VisitStatus.CHECKED_OUT, VisitStatus.CONFIRMED):
            return Refusal(_("This visit is already checked out."))
        if state not in CHECK_IN_FROM:
            return Refusal(
                _("A visit that is %(status)s cannot be checked in.")
                % {"status": visit.get_status_display()}
            )
    if action == VisitAction.CHECK_OUT:
        if visit.check_out_at is not None:
            return Refusal(
                _("Already checked out at %(time)s.") % {"time": _hhmm(visit.check_out_at)}
            )
        if state not in CHECK_OUT_FROM:
            return Refusal(
                _("A visit that is %(status)s cannot be checked out.")
                % {"status": visit.get_status_display()}
            )
    if action == VisitAction.PHOTO and state not in PHOTO_FROM:
        return Refusal(_("Photos are added during or after the visit."), field="photo")
    return None


def _manager_refusal(actor: Actor, visit: Visit, action: VisitAction) -> Refusal | None:
    if action == VisitAction.CANCEL:
        if not has_perm(actor, Permission.CANCEL_ORDERS):
            return Refusal(_("Your role does not allow this."), denied=True)
        reach = _order_reach_refusal(actor, visit.order)
        if reach is not None:
            return reach
        if visit.status not in OPEN_STATUSES:
            return Refusal(
                _("A visit that is %(status)s cannot be cancelled.")
                % {"status": visit.get_status_display()}
            )
        return None
    if not has_perm(actor, Permission.CORRECT_VISITS) or visit.provider_id not in (
        actor.scope.organisation_ids or ()
    ):
        return Refusal(_("Your role does not allow this."), denied=True)
    if visit.status == VisitStatus.CANCELLED:
        return Refusal(_("A cancelled visit cannot be corrected."), field="visit")
    return None


def visit_action_refusal(
    *, actor: Actor, visit: Visit, action: VisitAction, performer: Performer | None = None
) -> Refusal | None:
    """Why ``actor`` may not take ``action`` on ``visit`` now, or None when they may
    (cancelling needs the visit's order in the actor's reach, as cancelling the order does)."""
    if action in PERFORMER_ACTIONS:
        performer = performer or performer_of(actor, visit)
        if performer.caregiver is None:
            return Refusal("not your visit", denied=True)
        if performer.second:
            return _second_refusal(visit, action, performer)
        return _lead_refusal(visit, action)
    return _manager_refusal(actor, visit, action)


def visit_action_check(
    *, actor: Actor, visit: Visit, action: VisitAction, performer: Performer | None = None
) -> None:
    """The services' guard: raise the refusal (403 or a field error) when not allowed."""
    refuse(visit_action_refusal(actor=actor, visit=visit, action=action, performer=performer))


def visit_actions(*, actor: Actor, visit: Visit) -> frozenset[VisitAction]:
    """Every action ``actor`` may take on ``visit`` now (the page's buttons)."""
    performer = performer_of(actor, visit)
    return open_actions(
        VisitAction,
        lambda a: visit_action_refusal(actor=actor, visit=visit, action=a, performer=performer),
    )


class OrderAction(enum.StrEnum):
    CANCEL = "cancel"


def _order_reach_refusal(actor: Actor, order: Order) -> Refusal | None:
    """Provider managers act on their provider's orders; family members for their linked,
    consenting elder; everyone else in their divisions."""
    scope = actor.scope
    if scope.organisation_ids is not None:  # bound to providers
        if order.provider_id not in scope.organisation_ids:
            return Refusal("provider", denied=True)
    elif not scope.covers_elder(elder_id=order.elder_id, division_code=order.division_code):
        return Refusal("elder", denied=True)
    return None


def order_action_refusal(*, actor: Actor, order: Order, action: OrderAction) -> Refusal | None:
    """Why ``actor`` may not take ``action`` on ``order`` now, or None when they may."""
    if (denied := permission_refusal(actor, Permission.CANCEL_ORDERS)) is not None:
        return denied
    refusal = _order_reach_refusal(actor, order)
    if refusal is None and order.status != OrderStatus.ACTIVE:
        status = order.get_status_display()
        return Refusal(_("The order is already %(status)s.") % {"status": status}, field="order")
    return refusal


def order_action_check(*, actor: Actor, order: Order, action: OrderAction) -> None:
    """The services' guard: raise the refusal (403 or a field error) when not allowed."""
    refuse(order_action_refusal(actor=actor, order=order, action=action))


def order_actions(*, actor: Actor, order: Order) -> frozenset[OrderAction]:
    """Every action ``actor`` may take on ``order`` now (the order page's buttons)."""
    return open_actions(
        OrderAction, lambda a: order_action_refusal(actor=actor, order=order, action=a)
    )
