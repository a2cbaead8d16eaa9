"""Placing and cancelling orders and care plans, and cancelling single visits."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.assessments.choices import EntitlementKind, EntitlementUnit
from yiyang.assessments.services import entitlements_for
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
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
    ReviewStatus,
    VisitStatus,
)
from yiyang.visits.lifecycle import (
    VisitAction,
    visit_action_check,
)
from yiyang.visits.models import (
    Order,
    Visit,
)
from yiyang.visits.services.common import (
    VIA_BY_ROLE,
    _audit,
    _aware,
    _event,
    _money,
    _require_elder_in_scope,
    _user,
)


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


def monthly_allowance(elder: Elder, day: datetime.date) -> Decimal | None:
    """The home-care allowance in yuan a month the elder is entitled to (None: none)."""
    amounts = [
        e.rule.amount_yuan
        for e in entitlements_for(elder=elder, today=day)
        if e.rule.entitlement == EntitlementKind.HOME_CARE_ALLOWANCE
        and e.rule.unit == EntitlementUnit.PER_MONTH and e.rule.amount_yuan is not None
    ]  # fmt: skip
    return sum(amounts, Decimal("0.00")) if amounts else None


def _allowance_used(elder: Elder, year: int, month: int) -> Decimal:
    used = (
        Visit.objects.filter(elder=elder, date__year=year, date__month=month)
        .exclude(status__in=(VisitStatus.CANCELLED, VisitStatus.MISSED))
        .exclude(review_status=ReviewStatus.REJECTED)
        .aggregate(total=Sum("allowance_yuan"))["total"]
    )  # fmt: skip
    return used or Decimal("0.00")


def _offer_errors(
    elder: Elder, provider: Organisation, item: ServiceItem, errors: dict[str, str]
) -> Any:
    """The provider's offer of the item (or None), noting why the order cannot be placed."""
    if elder.status in (ElderStatus.DECEASED, ElderStatus.MOVED_OUT, ElderStatus.DUPLICATE):
        errors["elder"] = _("The elder's record is %(status)s: no services can be ordered.") % {
            "status": elder.get_status_display()}  # fmt: skip
    offering = offering_for(provider=provider, item=item)
    if offering is None:
        errors["item"] = _("%(provider)s does not offer %(service)s.") % {
            "provider": provider.name, "service": item.name}  # fmt: skip
    if not provider_serves(provider=provider, division_code=elder.division_code):
        errors["provider"] = _("%(provider)s does not serve the elder's community.") % {
            "provider": provider.name}  # fmt: skip
    return offering


def _order_dates(
    *, item: ServiceItem, starts_on: datetime.date, ends_on: datetime.date, weekdays: list[int],
    window_start: datetime.time, window_end: datetime.time, errors: dict[str, str],
) -> list[datetime.date]:  # fmt: skip
    """The dates the order's rule yields, noting what is wrong with the rule or the window."""
    today = timezone.localdate()
    if any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = _("Weekdays are 0 (Monday) to 6 (Sunday).")
    if starts_on < today:
        errors["starts_on"] = _("The first date lies in the past.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The last date comes before the first.")
    elif (ends_on - starts_on).days > settings.VISIT_PLAN_MAX_DAYS:
        errors["ends_on"] = _("A care plan runs at most %(days)d days; renew it after.") % {
            "days": settings.VISIT_PLAN_MAX_DAYS}  # fmt: skip
    if window_end <= window_start:
        errors["window_end"] = _("The time window must end after it starts.")
    elif (
        _aware(starts_on, window_end) - _aware(starts_on, window_start)
    ).total_seconds() < item.standard_minutes * 60:
        errors["window_end"] = _("The window is shorter than the service (%(minutes)d min).") % {
            "minutes": item.standard_minutes}  # fmt: skip
    dates = [] if errors.keys() & {"weekdays", "ends_on", "starts_on"} else plan_dates(
        starts_on=starts_on, ends_on=ends_on, weekdays=weekdays
    )  # fmt: skip
    if not errors and not dates:
        errors["weekdays"] = _(
            "This rule yields no dates: none of the chosen weekdays falls between %(start)s "
            "and %(end)s."
        ) % {"start": starts_on, "end": ends_on}
    if dates and dates[0] == today and _aware(today, window_end) <= timezone.now():
        errors["window_end"] = _("Today's window has already closed.")
    return dates


def _allowance_errors(
    elder: Elder, allowance: Decimal, dates: list[datetime.date], errors: dict[str, str]
) -> None:
    """An allowance share must fit the elder's monthly allowance in every month it touches."""
    monthly = monthly_allowance(elder, dates[0])
    if monthly is None:
        errors["allowance_yuan"] = _(
            "The elder has no home-care allowance under the eligibility rules in force."
        )
        return
    per_month: dict[tuple[int, int], int] = {}
    for day in dates:
        per_month[(day.year, day.month)] = per_month.get((day.year, day.month), 0) + 1
    for (year, month), count in sorted(per_month.items()):
        used = _allowance_used(elder, year, month)
        if used + allowance * count > monthly:
            errors["allowance_yuan"] = _(
                "In %(year)d-%(month)02d the allowance would reach %(total)s yuan; the "
                "elder's allowance is %(monthly)s yuan a month (%(used)s already booked)."
            ) % {
                "year": year, "month": month, "total": used + allowance * count,
                "monthly": monthly, "used": used,
            }  # fmt: skip
            return


def _payer_split(
    *, elder: Elder, price: Decimal, dates: list[datetime.date], allowance_yuan: Any,
    ltc_yuan: Any, self_pay_yuan: Any, errors: dict[str, str],
) -> tuple[Decimal, Decimal, Decimal]:  # fmt: skip
    """Allowance, long-term-care insurance and self-pay: they add up to the price, and the
    allowance share fits the elder's entitlement (self-pay is the rest when not given)."""
    allowance = _money(allowance_yuan, "allowance_yuan", errors)
    ltc = _money(ltc_yuan, "ltc_yuan", errors)
    if self_pay_yuan in (None, ""):
        self_pay = max(price - allowance - ltc, Decimal("0.00"))
    else:
        self_pay = _money(self_pay_yuan, "self_pay_yuan", errors)
    if not errors and allowance + ltc + self_pay != price:
        errors["self_pay_yuan"] = _(
            "The payers' shares (%(sum)s) must add up to the price of %(price)s yuan."
        ) % {"sum": allowance + ltc + self_pay, "price": price}
    if not errors and allowance > 0:
        _allowance_errors(elder, allowance, dates, errors)
    return allowance, ltc, self_pay


# Checks that an order's allowance share is bought under a live contract: each takes
# (provider, item, the elder's division code, the dates) and answers a problem or None.
# The settlement app registers its check here (visits never imports settlement).
AllowanceCoverCheck = Callable[[Organisation, ServiceItem, str, list[datetime.date]], str | None]
ALLOWANCE_COVER_CHECKS: list[AllowanceCoverCheck] = []


def _cover_errors(
    provider: Organisation, item: ServiceItem, elder: Elder, dates: list[datetime.date],
    errors: dict[str, str],
) -> None:  # fmt: skip
    for check in ALLOWANCE_COVER_CHECKS:
        problem = check(provider, item, elder.division_code, dates)
        if problem:
            errors["allowance_yuan"] = problem
            return


@transaction.atomic
def order_place(
    *, actor: Actor, elder: Elder, provider: Organisation, item: ServiceItem,
    starts_on: datetime.date, window_start: datetime.time, window_end: datetime.time,
    ends_on: datetime.date | None = None, weekdays: list[int] | None = None,
    allowance_yuan: Any = None, ltc_yuan: Any = None, self_pay_yuan: Any = None,
    relation: str = "", note: str = "",
) -> Order:  # fmt: skip
    """Place an order for one visit or a care plan of recurring visits, with the payer
    split checked against the elder's home-care allowance where one exists."""
    require_perm(actor, Permission.PLACE_ORDERS)
    _require_elder_in_scope(actor, elder)
    if actor.role == "provider_manager" and provider.pk not in (actor.scope.organisation_ids or ()):
        raise PermissionDenied("provider")
    errors: dict[str, str] = {}
    weekdays = sorted({int(d) for d in (weekdays or [])})
    ends_on = ends_on or starts_on
    offering = _offer_errors(elder, provider, item, errors)
    dates = _order_dates(
        item=item, starts_on=starts_on, ends_on=ends_on, weekdays=weekdays,
        window_start=window_start, window_end=window_end, errors=errors,
    )  # fmt: skip
    if actor.role == "family" and relation not in Relation.values:
        errors["relation"] = _("Say how you are related to the elder.")
    price = offering.price if offering is not None else Decimal("0.00")
    allowance, ltc, self_pay = _payer_split(
        elder=elder, price=price, dates=dates, allowance_yuan=allowance_yuan, ltc_yuan=ltc_yuan,
        self_pay_yuan=self_pay_yuan, errors=errors,
    )  # fmt: skip
    if not errors and allowance > 0 and dates:
        _cover_errors(provider, item, elder, dates, errors)
    if errors:
        raise ValidationError(errors)
    order = Order.objects.create(
        elder=elder, division_code=elder.division_code, provider=provider, item=item,
        kind=OrderKind.PLAN if weekdays else OrderKind.ONE_OFF,
        placed_via=VIA_BY_ROLE.get(actor.role, PlacedVia.OFFICER), placed_by=_user(actor),
        placed_by_username=actor.username, relation=relation or "",
        starts_on=starts_on, ends_on=ends_on, weekdays=weekdays, window_start=window_start,
        window_end=window_end, price=price, allowance_yuan=allowance, ltc_yuan=ltc,
        self_pay_yuan=self_pay, note=str(note or "")[:500],
    )  # fmt: skip
    Visit.objects.bulk_create([
        Visit(
            order=order, elder=elder, division_code=elder.division_code, provider=provider,
            item=item, date=day, window_start=_aware(day, window_start),
            window_end=_aware(day, window_end), standard_minutes=item.standard_minutes,
            needs_two=item.two_caregivers, price=price, allowance_yuan=allowance, ltc_yuan=ltc,
            self_pay_yuan=self_pay,
        )
        for day in dates
    ])  # fmt: skip
    _audit(actor, AuditAction.CREATE, order, elder.division_code, {
        "order": [None, {"item": item.code, "provider": provider.name, "dates": len(dates),
                         "first": dates[0].isoformat(), "last": dates[-1].isoformat(),
                         "allowance": str(allowance), "ltc": str(ltc), "self_pay": str(self_pay),
                         "relation": relation}],
    })  # fmt: skip
    return order


def _cancel_visit(visit: Visit, reason: str, now: datetime.datetime) -> None:
    visit.status = VisitStatus.CANCELLED
    visit.cancelled_at = now
    visit.cancel_reason = reason
    notice = datetime.timedelta(hours=settings.VISIT_CANCEL_NOTICE_HOURS)
    visit.short_notice = visit.window_start - now < notice
    visit.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "short_notice", "updated_at"]
    )


def _cancel_allowed(actor: Actor, order: Order) -> None:
    require_perm(actor, Permission.CANCEL_ORDERS)
    if actor.role == "provider_manager":
        if order.provider_id not in (actor.scope.organisation_ids or ()):
            raise PermissionDenied("provider")
    else:
        _require_elder_in_scope(actor, order.elder)


@transaction.atomic
def order_cancel(*, actor: Actor, order: Order, reason: str) -> Order:
    """Cancel an order and every visit of it not yet started; visits inside the notice
    period are marked short-notice (settlement rules may still pay them)."""
    _cancel_allowed(actor, order)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling.")})
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.ACTIVE:
        raise ValidationError({"order": _("The order is already %(status)s.") % {
            "status": order.get_status_display()}})  # fmt: skip
    now = timezone.now()
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
    _cancel_allowed(actor, visit.order)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling.")})
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    visit_action_check(actor=actor, visit=visit, action=VisitAction.CANCEL)
    _cancel_visit(visit, reason[:200], timezone.now())
    _event(visit, "cancelled", timezone.now(), actor, None, {"reason": reason})
    _audit(
        actor,
        AuditAction.UPDATE,
        visit,
        visit.division_code,
        {"status": ["open", "cancelled"], "reason": reason, "short_notice": visit.short_notice},
    )
    return visit
