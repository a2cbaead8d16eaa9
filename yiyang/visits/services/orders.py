"""Placing and cancelling orders and care plans, and cancelling single visits."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core import clock
from yiyang.core.bulk import bulk_insert
from yiyang.core.choices import AuditAction
from yiyang.core.lifecycle import refuse_denied
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.validation import required_text
from yiyang.elders.choices import ElderStatus, Relation
from yiyang.elders.models import Elder
from yiyang.organisations.models import Organisation
from yiyang.services.models import ServiceItem
from yiyang.services.selectors import offering_for, provider_serves
from yiyang.visits.choices import (
    OPEN_STATUSES,
    OrderKind,
    OrderStatus,
    PlacedVia,
)
from yiyang.visits.lifecycle import (
    OrderAction,
    VisitAction,
    order_action_check,
    order_action_refusal,
    visit_action_check,
    visit_action_refusal,
)
from yiyang.visits.models import (
    Order,
    Visit,
)
from yiyang.visits.services import transitions
from yiyang.visits.services.common import (
    VIA_BY_ROLE,
    _audit,
    _aware,
    _event,
    _require_elder_in_scope,
    _user,
)
from yiyang.visits.services.payers import (
    ALLOWANCE_COVER_CHECKS,
    monthly_allowance,
    payer_split,
)

__all__ = [
    "ALLOWANCE_COVER_CHECKS",
    "monthly_allowance",
    "order_cancel",
    "order_place",
    "plan_dates",
    "visit_cancel",
]


def plan_dates(
    *, starts_on: datetime.date, ends_on: datetime.date, weekdays: list[int] | None
) -> list[datetime.date]:
    """The dates a recurring rule yields (weekdays 0 = Monday); one date for a one-off."""
    if not weekdays:
        return [starts_on] if starts_on == ends_on else []
    wanted = set(weekdays)
    day, dates = starts_on, []
    while day <= ends_on:
        if day.weekday() in wanted:
            dates.append(day)
        day += datetime.timedelta(days=1)
    return dates


def _offer_errors(
    elder: Elder, provider: Organisation, item: ServiceItem, errors: dict[str, str]
) -> Any:
    """The provider's offer of the item (or None), noting why the order cannot be placed."""
    if elder.status in (ElderStatus.DECEASED, ElderStatus.MOVED_OUT, ElderStatus.DUPLICATE):
        errors["elder"] = _("The elder's record is %(status)s: no services can be ordered.") % {
            "status": elder.get_status_display()
        }
    offering = offering_for(provider=provider, item=item)
    if offering is None:
        errors["item"] = _("%(provider)s does not offer %(service)s.") % {
            "provider": provider.name,
            "service": item.name,
        }
    if not provider_serves(provider=provider, division_code=elder.division_code):
        errors["provider"] = _("%(provider)s does not serve the elder's community.") % {
            "provider": provider.name
        }
    return offering


def _order_dates(
    *,
    item: ServiceItem,
    starts_on: datetime.date,
    ends_on: datetime.date,
    weekdays: list[int],
    window_start: datetime.time,
    window_end: datetime.time,
    errors: dict[str, str],
) -> list[datetime.date]:
    """The dates the order's rule yields, noting what is wrong with the rule or the window."""
    today = clock.localdate()
    if any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = _("Weekdays are 0 (Monday) to 6 (Sunday).")
    if starts_on < today:
        errors["starts_on"] = _("The first date lies in the past.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The last date comes before the first.")
    elif (ends_on - starts_on).days > settings.VISIT_PLAN_MAX_DAYS:
        errors["ends_on"] = _("A care plan runs at most %(days)d days; renew it after.") % {
            "days": settings.VISIT_PLAN_MAX_DAYS
        }
    if window_end <= window_start:
        errors["window_end"] = _("The time window must end after it starts.")
    elif (
        _aware(starts_on, window_end) - _aware(starts_on, window_start)
    ).total_seconds() < item.standard_minutes * 60:
        errors["window_end"] = _("The window is shorter than the service (%(minutes)d min).") % {
            "minutes": item.standard_minutes
        }
    dates = (
        []
        if errors.keys() & {"weekdays", "ends_on", "starts_on"}
        else plan_dates(starts_on=starts_on, ends_on=ends_on, weekdays=weekdays)
    )
    if not errors and not dates:
        errors["weekdays"] = _(
            "This rule yields no dates: none of the chosen weekdays falls between %(start)s "
            "and %(end)s."
        ) % {"start": starts_on, "end": ends_on}
    if dates and dates[0] == today and _aware(today, window_end) <= clock.now():
        errors["window_end"] = _("Today's window has already closed.")
    return dates


def _order_checks(
    *,
    actor: Actor,
    elder: Elder,
    provider: Organisation,
    item: ServiceItem,
    rule: dict[str, Any],
    shares: dict[str, Any],
    split_reason: str,
    relation: str,
) -> tuple[list[datetime.date], Decimal, tuple[Decimal, Decimal, Decimal], str]:
    """Everything an order must pass, all at once: the dates, the price and the split."""
    errors: dict[str, str] = {}
    offering = _offer_errors(elder, provider, item, errors)
    dates = _order_dates(item=item, errors=errors, **rule)
    if actor.role == "family" and relation not in Relation.values:
        errors["relation"] = _("Say how you are related to the elder.")
    price = offering.price if offering is not None else Decimal("0.00")
    allowance, ltc, self_pay, reason = payer_split(
        actor=actor,
        elder=elder,
        item=item,
        provider=provider,
        price=price,
        dates=dates if not errors else [],
        shares=shares,
        reason=split_reason,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    return dates, price, (allowance, ltc, self_pay), reason


def _order_visits_create(order: Order, dates: list[datetime.date]) -> None:
    """The order's visits, one a date, each with the order's window, price and split
    (``core.bulk``: a year's care plan is hundreds of visits)."""
    bulk_insert(
        [
            Visit(
                order=order,
                elder=order.elder,
                division_code=order.division_code,
                provider=order.provider,
                item=order.item,
                date=day,
                window_start=_aware(day, order.window_start),
                window_end=_aware(day, order.window_end),
                standard_minutes=order.item.standard_minutes,
                needs_two=order.item.two_caregivers,
                price=order.price,
                allowance_yuan=order.allowance_yuan,
                ltc_yuan=order.ltc_yuan,
                self_pay_yuan=order.self_pay_yuan,
            )
            for day in dates
        ]
    )


def _order_audit(
    actor: Actor, order: Order, count: int, first: datetime.date, last: datetime.date
) -> None:
    placed = {
        "item": order.item.code,
        "provider": order.provider.name,
        "dates": count,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "allowance": str(order.allowance_yuan),
        "ltc": str(order.ltc_yuan),
        "self_pay": str(order.self_pay_yuan),
        "split_reason": order.split_reason,
        "relation": order.relation,
    }
    _audit(actor, AuditAction.CREATE, order, order.division_code, {"order": [None, placed]})


@transaction.atomic
def order_place(
    *,
    actor: Actor,
    elder: Elder,
    provider: Organisation,
    item: ServiceItem,
    starts_on: datetime.date,
    window_start: datetime.time,
    window_end: datetime.time,
    ends_on: datetime.date | None = None,
    weekdays: list[int] | None = None,
    allowance_yuan: Any = None,
    ltc_yuan: Any = None,
    self_pay_yuan: Any = None,
    split_reason: str = "",
    relation: str = "",
    note: str = "",
) -> Order:
    """Place an order for one visit or a care plan of recurring visits. The payer split is
    computed from the price and the elder's entitlement; shares given that differ from it
    are an officer's override and need ``split_reason``."""
    require_perm(actor, Permission.PLACE_ORDERS)
    _require_elder_in_scope(actor, elder)
    bound_to = actor.scope.organisation_ids  # an actor bound to providers orders from them
    if bound_to is not None and provider.pk not in bound_to:
        raise PermissionDenied("provider")
    weekdays = sorted({int(d) for d in (weekdays or [])})
    ends_on = ends_on or starts_on
    rule = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "weekdays": weekdays,
        "window_start": window_start,
        "window_end": window_end,
    }
    shares = {
        "allowance_yuan": allowance_yuan,
        "ltc_yuan": ltc_yuan,
        "self_pay_yuan": self_pay_yuan,
    }
    dates, price, (allowance, ltc, self_pay), reason = _order_checks(
        actor=actor,
        elder=elder,
        provider=provider,
        item=item,
        rule=rule,
        shares=shares,
        split_reason=split_reason,
        relation=relation,
    )
    order = Order.objects.create(
        elder=elder,
        division_code=elder.division_code,
        provider=provider,
        item=item,
        kind=OrderKind.PLAN if weekdays else OrderKind.ONE_OFF,
        placed_via=VIA_BY_ROLE.get(actor.role, PlacedVia.OFFICER),
        placed_by=_user(actor),
        placed_by_username=actor.username,
        relation=relation or "",
        price=price,
        allowance_yuan=allowance,
        ltc_yuan=ltc,
        self_pay_yuan=self_pay,
        split_reason=reason,
        note=str(note or "")[:500],
        **rule,
    )
    _order_visits_create(order, dates)
    _order_audit(actor, order, len(dates), dates[0], dates[-1])
    return order


def _cancel_visit(
    visit: Visit, reason: str, now: datetime.datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    cancelled = transitions.cancel(visit, reason, now)
    visit.save(update_fields=transitions.CANCEL_FIELDS)
    return cancelled


@transaction.atomic
def order_cancel(*, actor: Actor, order: Order, reason: str) -> Order:
    """Cancel an order and every visit of it not yet started; visits inside the notice
    period are marked short-notice (settlement rules may still pay them)."""
    refuse_denied(order_action_refusal(actor=actor, order=order, action=OrderAction.CANCEL))
    reason = required_text(reason, "reason", _("Give the reason for cancelling."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    order_action_check(actor=actor, order=order, action=OrderAction.CANCEL)
    now = clock.now()
    cancelled = 0
    for visit in Visit.objects.select_for_update().filter(
        order=order, status__in=OPEN_STATUSES, window_end__gt=now
    ):
        _cancel_visit(visit, reason, now)
        cancelled += 1
    order.status, order.cancelled_at, order.cancelled_by = OrderStatus.CANCELLED, now, _user(actor)
    order.cancel_reason = reason[:200]
    order.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"]
    )
    _audit(
        actor,
        AuditAction.UPDATE,
        order,
        order.division_code,
        {"status": ["active", "cancelled"], "reason": reason, "visits_cancelled": cancelled},
    )
    return order


@transaction.atomic
def visit_cancel(*, actor: Actor, visit: Visit, reason: str) -> Visit:
    """Cancel one visit before it starts."""
    refuse_denied(visit_action_refusal(actor=actor, visit=visit, action=VisitAction.CANCEL))
    reason = required_text(reason, "reason", _("Give the reason for cancelling."))
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    visit_action_check(actor=actor, visit=visit, action=VisitAction.CANCEL)
    now = clock.now()
    detail, changes = _cancel_visit(visit, reason, now)
    _event(visit, "cancelled", now, actor, None, detail)
    _audit(actor, AuditAction.UPDATE, visit, visit.division_code, changes)
    return visit
