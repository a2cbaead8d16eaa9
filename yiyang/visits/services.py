"""Writes of orders, care plans and visits: placing and cancelling, dispatch, the visit's
lifecycle with its verification, review, ratings and complaints.

Every write checks the actor's permission and scope, validates everything first (a
``ValidationError`` keyed by field, nothing half-written), runs in one transaction and is
audited. Exceptions found on a visit are flags with a reason code, never blocks.
"""

from __future__ import annotations

import datetime
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import FloatField, Func, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiyang.accounts.models import User
from yiyang.alerts.choices import AlertKind, AlertSource, RecipientKind
from yiyang.alerts.services import alert_raise, notification_send
from yiyang.assessments.choices import EntitlementKind, EntitlementUnit
from yiyang.assessments.services import entitlements_for
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.choices import ElderStatus, Relation
from yiyang.elders.models import Elder
from yiyang.elders.selectors import family_elder_ids
from yiyang.organisations.models import Organisation
from yiyang.services.models import Caregiver, ServiceItem
from yiyang.services.selectors import caregiver_of_user, offering_for, provider_serves
from yiyang.visits.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    FlagCode,
    OrderKind,
    OrderStatus,
    PlacedVia,
    ReviewStatus,
    VisitOutcome,
    VisitStatus,
)
from yiyang.visits.lifecycle import (
    SECOND_CHECK_IN,
    SECOND_CHECK_OUT,
    Performer,
    VisitAction,
    is_second_caregiver,
    second_presence_of,
    visit_action_check,
)
from yiyang.visits.models import (
    Complaint,
    Order,
    Visit,
    VisitEvent,
    VisitFlag,
    VisitPhoto,
    VisitRating,
    VisitReview,
)
from yiyang.visits.rules import (
    Facts,
    cross_visit_flags,
    distance_m,
    location_errors,
    single_visit_flags,
)
from yiyang.visits.selectors import assignment_problems

CENT = Decimal("0.01")
VIA_BY_ROLE = {
    "community_worker": PlacedVia.COMMUNITY_WORKER, "operator": PlacedVia.CALL_CENTRE,
    "family": PlacedVia.FAMILY, "provider_manager": PlacedVia.PROVIDER,
    "street_officer": PlacedVia.OFFICER,
}  # fmt: skip


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _audit(
    actor: Actor, action: str, obj: Any, division_code: str, changes: dict[str, Any]
) -> None:
    audit_record(actor=actor, action=action, obj=obj, division_code=division_code, changes=changes)


def _require_elder_in_scope(actor: Actor, elder: Elder) -> None:
    """Family members act for their linked, consenting elder; provider managers for the
    elders their provider serves (checked with the provider); everyone else in their divisions."""
    if actor.role == "family":
        if elder.pk not in family_elder_ids(user=actor):
            raise PermissionDenied("elder")
    elif actor.role != "provider_manager" and not actor.scope.covers_division_code(
        elder.division_code
    ):
        raise PermissionDenied("elder")


# --- orders and care plans -----------------------------------------------------------------


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
    today = timezone.localdate()
    weekdays = sorted({int(d) for d in (weekdays or [])})
    ends_on = ends_on or starts_on
    kind = OrderKind.PLAN if weekdays else OrderKind.ONE_OFF
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
    if actor.role == "family" and relation not in Relation.values:
        errors["relation"] = _("Say how you are related to the elder.")
    price = offering.price if offering is not None else Decimal("0.00")
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
        monthly = monthly_allowance(elder, starts_on)
        if monthly is None:
            errors["allowance_yuan"] = _(
                "The elder has no home-care allowance under the eligibility rules in force."
            )
        else:
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
                    break
    if errors:
        raise ValidationError(errors)
    order = Order.objects.create(
        elder=elder, division_code=elder.division_code, provider=provider, item=item, kind=kind,
        placed_via=VIA_BY_ROLE.get(actor.role, PlacedVia.OFFICER), placed_by=_user(actor),
        placed_by_username=str(getattr(actor, "username", "")), relation=relation or "",
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


# --- dispatch ------------------------------------------------------------------------------


def _require_dispatch(actor: Actor, visit: Visit) -> None:
    require_perm(actor, Permission.DISPATCH_VISITS)
    if visit.provider_id not in (actor.scope.organisation_ids or ()):
        raise PermissionDenied("provider")


@transaction.atomic
def visit_assign(*, actor: Actor, visit: Visit, caregivers: list[Caregiver]) -> Visit:
    """Assign one caregiver (two for a double-up visit). A conflict is refused with its
    reason: double booking, missing skill or qualification, expired certificate, hours."""
    _require_dispatch(actor, visit)
    visit = Visit.objects.select_for_update().select_related("item", "elder").get(pk=visit.pk)
    if visit.status not in (VisitStatus.SCHEDULED, VisitStatus.ASSIGNED):
        raise ValidationError({"status": _("A visit that is %(status)s cannot be reassigned.") % {
            "status": visit.get_status_display()}})  # fmt: skip
    wanted = 2 if visit.needs_two else 1
    unique = list({c.pk: c for c in caregivers}.values())
    if len(unique) != wanted:
        raise ValidationError({"caregivers": _(
            "This service needs %(n)d caregiver(s); %(given)d different ones were given.") % {
            "n": wanted, "given": len(unique)}})  # fmt: skip
    # Lock the caregivers' rows so that two dispatchers cannot double-book them at once.
    list(Caregiver.objects.select_for_update().filter(pk__in=[c.pk for c in unique]))
    problems = assignment_problems(visit, unique)
    refused = {cid: p for cid, p in problems.items() if p}
    if refused:
        raise ValidationError({
            "caregivers": [reason for found in refused.values() for _code, reason in found],
            "codes": sorted({code for found in refused.values() for code, _r in found}),
        })  # fmt: skip
    before = [visit.caregiver_id, visit.second_caregiver_id]
    visit.caregiver = unique[0]
    visit.second_caregiver = unique[1] if wanted == 2 else None
    visit.status = VisitStatus.ASSIGNED
    visit.save(update_fields=["caregiver", "second_caregiver", "status", "updated_at"])
    _event(visit, "assigned", timezone.now(), actor, None, {"caregivers": [c.name for c in unique]})
    _audit(
        actor,
        AuditAction.UPDATE,
        visit,
        visit.division_code,
        {"caregivers": [before, [c.pk for c in unique]]},
    )
    return visit


@transaction.atomic
def visit_unassign(*, actor: Actor, visit: Visit) -> Visit:
    _require_dispatch(actor, visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status != VisitStatus.ASSIGNED:
        raise ValidationError(
            {"status": _("Only an assigned visit not yet started can be unassigned.")}
        )
    visit.caregiver = visit.second_caregiver = None
    visit.status = VisitStatus.SCHEDULED
    visit.save(update_fields=["caregiver", "second_caregiver", "status", "updated_at"])
    _audit(
        actor, AuditAction.UPDATE, visit, visit.division_code, {"caregivers": ["assigned", None]}
    )
    return visit


# --- the visit's lifecycle -----------------------------------------------------------------


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
    visit: Visit, kind: str, at: datetime.datetime, actor: Actor, client_id: uuid.UUID | None,
    detail: dict[str, Any] | None = None,
) -> VisitEvent:  # fmt: skip
    return VisitEvent.objects.create(
        visit=visit, kind=kind, at=at, actor=_user(actor),
        actor_username=str(getattr(actor, "username", "")), client_action_id=client_id,
        detail=detail or {},
    )  # fmt: skip


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
            raise ValidationError({"sent_at": _(
                "The phone's clock is %(hours)d h %(minutes)d min %(way)s: set the phone to the "
                "network time and send again (nothing was recorded).") % {
                "hours": minutes // 60, "minutes": minutes % 60,
                "way": _("fast") if skew.total_seconds() < 0 else _("slow")}})  # fmt: skip
    if at > now + skew_limit:
        raise ValidationError({"at": _("The time %(at)s lies in the future.") % {
            "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M")}})  # fmt: skip
    if at < now - datetime.timedelta(hours=settings.VISIT_OFFLINE_MAX_AGE_HOURS):
        raise ValidationError({"at": _(
            "The action is more than %(hours)d hours old; ask the provider to correct the "
            "visit instead.") % {"hours": settings.VISIT_OFFLINE_MAX_AGE_HOURS}})  # fmt: skip
    if at < visit.window_start - datetime.timedelta(hours=3):
        raise ValidationError({"at": _(
            "This visit is booked for %(window)s; check in to the visit you are at.") % {
            "window": timezone.localtime(visit.window_start).strftime("%Y-%m-%d %H:%M"),
        }})  # fmt: skip
    return at


def _require_performer(actor: Actor, visit: Visit) -> Caregiver:
    require_perm(actor, Permission.PERFORM_VISITS)
    caregiver = caregiver_of_user(actor)
    if caregiver is None or caregiver.pk not in (visit.caregiver_id, visit.second_caregiver_id):
        raise PermissionDenied("not your visit")
    return caregiver


def _replayed(fix: Fix, visit: Visit, kind: str) -> bool:
    """A queued action sent again (the answer was lost on a bad line) is applied once; an
    action id already used for another visit or action is refused, not silently ignored."""
    if fix.client_action_id is None:
        return False
    event = VisitEvent.objects.filter(client_action_id=fix.client_action_id).first()
    if event is None:
        return False
    if event.visit_id != visit.pk or event.kind != kind:
        raise ValidationError({"client_action_id": _(
            "This action id was already used for another action; send a new one.")})  # fmt: skip
    return True


def _elder_distance(visit: Visit, lat: float, lng: float) -> float | None:
    elder = visit.elder
    if elder.lat is None or elder.lng is None:
        return None
    return distance_m(float(elder.lat), float(elder.lng), lat, lng)


def _facts(visit: Visit) -> Facts:
    elder = visit.elder
    return Facts(
        visit_id=visit.pk,
        caregiver_ids=tuple(c for c in (visit.caregiver_id, visit.second_caregiver_id) if c),
        standard_minutes=visit.standard_minutes, check_in_at=visit.check_in_at,
        check_out_at=visit.check_out_at, in_lat=visit.check_in_lat, in_lng=visit.check_in_lng,
        out_lat=visit.check_out_lat, out_lng=visit.check_out_lng,
        in_distance=visit.check_in_distance, out_distance=visit.check_out_distance,
        outcome=visit.outcome, elder_status=elder.status,
        elder_status_since=elder.deceased_on or elder.status_changed_on, date=visit.date,
    )  # fmt: skip


def _neighbour_facts(visit: Visit) -> list[Facts]:
    ids = [c for c in (visit.caregiver_id, visit.second_caregiver_id) if c]
    others = (
        Visit.objects.filter(Q(caregiver_id__in=ids) | Q(second_caregiver_id__in=ids))
        .filter(date__gte=visit.date - datetime.timedelta(days=1),
                date__lte=visit.date + datetime.timedelta(days=1))
        .filter(Q(check_in_at__isnull=False) | Q(check_out_at__isnull=False))
        .exclude(pk=visit.pk).select_related("elder")
    )  # fmt: skip
    return [_facts(v) for v in others] + [_facts(visit)]


def _raise_flags(
    visit: Visit, found: list[tuple[str, str]], explanation: str = ""
) -> list[VisitFlag]:
    """Store new flags (one per code) and put the visit up for review."""
    new = []
    existing = set(visit.flags.values_list("code", flat=True))
    for code, detail in found:
        if code in existing:
            continue
        existing.add(code)
        new.append(VisitFlag.objects.create(
            visit=visit, code=code, detail=str(detail)[:300], explanation=explanation[:500]
        ))  # fmt: skip
    if new and visit.review_status in (ReviewStatus.NONE, ReviewStatus.ACCEPTED):
        visit.review_status = ReviewStatus.PENDING
        visit.save(update_fields=["review_status", "updated_at"])
    return new


def _check_flags(visit: Visit, explanation: str = "") -> list[VisitFlag]:
    facts = _facts(visit)
    found = single_visit_flags(
        facts, radius_m=settings.VISIT_CHECK_IN_RADIUS_M,
        too_short_percent=settings.VISIT_TOO_SHORT_PERCENT,
    )  # fmt: skip
    cross = cross_visit_flags(_neighbour_facts(visit), max_speed_kmh=settings.VISIT_MAX_SPEED_KMH)
    found += cross.get(visit.pk, [])
    for other_id, flags in cross.items():
        if other_id != visit.pk:
            other = Visit.objects.get(pk=other_id)
            _raise_flags(other, [f for f in flags if f[0] == FlagCode.OVERLAP])
    return _raise_flags(visit, found, explanation)


def _locked(visit: Visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("elder", "item", "order").get(pk=visit.pk)
    )  # fmt: skip


@transaction.atomic
def visit_set_off(*, actor: Actor, visit: Visit, at: datetime.datetime | None = None,
                  client_action_id: uuid.UUID | None = None) -> Visit:  # fmt: skip
    """The caregiver sets off to the visit (no location is taken on the way)."""
    _require_performer(actor, visit)
    visit = _locked(visit)
    if _replayed(Fix(None, None, None, client_action_id=client_action_id), visit, "on_the_way"):
        return visit
    visit_action_check(actor=actor, visit=visit, action=VisitAction.SET_OFF)
    now = timezone.now()
    when = _when(Fix(None, None, None, at=at), visit, now)
    visit.status, visit.on_the_way_at = VisitStatus.ON_THE_WAY, when
    visit.save(update_fields=["status", "on_the_way_at", "updated_at"])
    _event(visit, "on_the_way", when, actor, client_action_id)
    return visit


def _second_presence(
    actor: Actor, caregiver: Caregiver, visit: Visit, fix: Fix, kind: str, explanation: str
) -> Visit:
    """Record the second caregiver's check-in or check-out: time and place, compared with
    the elder's address (out of range is a flag, as for the lead). Checking out without a
    check-in is allowed and flagged, as for the lead."""
    if _replayed(fix, visit, kind):
        return visit
    done = second_presence_of(visit)
    action = VisitAction.CHECK_IN if kind == SECOND_CHECK_IN else VisitAction.CHECK_OUT
    performer = Performer(caregiver, True, done)
    visit_action_check(actor=actor, visit=visit, action=action, performer=performer)
    _location(fix)
    now = timezone.now()
    when = _when(fix, visit, now)
    if kind == SECOND_CHECK_OUT and SECOND_CHECK_IN in done and when < done[SECOND_CHECK_IN].at:
        raise ValidationError({"at": _("Check-out cannot come before the check-in at %(time)s.") % {
            "time": timezone.localtime(done[SECOND_CHECK_IN].at).strftime("%H:%M")}})  # fmt: skip
    distance = _elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    _event(visit, kind, when, actor, fix.client_action_id, {
        "lat": fix.latitude, "lng": fix.longitude, "accuracy": fix.accuracy,
        "distance": distance, "caregiver": caregiver.name,
        "offline": now - when > datetime.timedelta(minutes=2),
    })  # fmt: skip
    found: list[tuple[str, str]] = []
    if distance is not None and distance > settings.VISIT_CHECK_IN_RADIUS_M:
        found.append((FlagCode.OUT_OF_RANGE, _(
            "The second caregiver %(name)s was %(metres)d m from the address."
        ) % {"name": caregiver.name, "metres": round(distance)}))  # fmt: skip
    if kind == SECOND_CHECK_OUT and SECOND_CHECK_IN not in done:
        found.append((FlagCode.NO_CHECK_IN, _(
            "The second caregiver %(name)s checked out without a check-in."
        ) % {"name": caregiver.name}))  # fmt: skip
    _raise_flags(visit, found, explanation)
    _audit(actor, AuditAction.UPDATE, visit, visit.division_code, {"presence": kind})
    return visit


def _location(fix: Fix) -> None:
    errors = location_errors(
        fix.latitude, fix.longitude, fix.accuracy, max_accuracy=settings.VISIT_MAX_ACCURACY_M
    )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def visit_check_in(*, actor: Actor, visit: Visit, fix: Fix, explanation: str = "") -> Visit:
    """Check in at the elder's door: the time and the phone's location (taken now and at
    check-out only), compared with the elder's address. Out of range is a flag, not a block.

    On a two-caregiver visit the second caregiver checks in and out too: their own presence
    is recorded (time, place, distance) without moving the visit, which the lead runs."""
    caregiver = _require_performer(actor, visit)
    visit = _locked(visit)
    if is_second_caregiver(visit, caregiver):
        return _second_presence(actor, caregiver, visit, fix, SECOND_CHECK_IN, explanation)
    if _replayed(fix, visit, "check_in"):
        return visit
    lead = Performer(caregiver, False)
    visit_action_check(actor=actor, visit=visit, action=VisitAction.CHECK_IN, performer=lead)
    _location(fix)
    now = timezone.now()
    when = _when(fix, visit, now)
    visit.status, visit.check_in_at = VisitStatus.CHECKED_IN, when
    visit.check_in_lat, visit.check_in_lng = fix.latitude, fix.longitude
    visit.check_in_accuracy = fix.accuracy
    visit.check_in_distance = _elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    visit.save()
    _event(visit, "check_in", when, actor, fix.client_action_id, {
        "lat": fix.latitude, "lng": fix.longitude, "accuracy": fix.accuracy,
        "distance": visit.check_in_distance,
        "offline": now - when > datetime.timedelta(minutes=2),
    })  # fmt: skip
    _check_flags(visit, explanation)
    _audit(
        actor, AuditAction.UPDATE, visit, visit.division_code, {"status": ["open", "checked_in"]}
    )
    return visit


@transaction.atomic
def visit_check_out(
    *, actor: Actor, visit: Visit, fix: Fix, tasks_done: list[str] | None = None,
    notes: str = "", outcome: str = VisitOutcome.DONE, explanation: str = "",
) -> Visit:  # fmt: skip
    """Check out: time, location, the checklist ticked, notes and the outcome. An elder
    found unwell raises an alert for the call centre once the write has committed. The second
    caregiver of a two-caregiver visit checks out their own presence only."""
    caregiver = _require_performer(actor, visit)
    visit = _locked(visit)
    if is_second_caregiver(visit, caregiver):
        return _second_presence(actor, caregiver, visit, fix, SECOND_CHECK_OUT, explanation)
    if _replayed(fix, visit, "check_out"):
        return visit
    lead = Performer(caregiver, False)
    visit_action_check(actor=actor, visit=visit, action=VisitAction.CHECK_OUT, performer=lead)
    errors: dict[str, str] = {}
    if outcome not in VisitOutcome.values:
        errors["outcome"] = _("Choose an outcome from the list.")
    tasks = [str(t) for t in (tasks_done or [])]
    unknown = [t for t in tasks if t not in visit.item.checklist]
    if unknown:
        errors["tasks_done"] = _("Not on this service's checklist: %(tasks)s.") % {
            "tasks": ", ".join(unknown)}  # fmt: skip
    if (
        outcome in (VisitOutcome.NOT_HOME, VisitOutcome.REFUSED, VisitOutcome.UNWELL)
        and not str(notes).strip()
    ):
        errors["notes"] = _("Say what happened (a note is needed for this outcome).")
    try:
        _location(fix)
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    when = _when(fix, visit, now)
    if visit.check_in_at is not None and when < visit.check_in_at:
        raise ValidationError({"at": _("Check-out cannot come before the check-in at %(time)s.") % {
            "time": timezone.localtime(visit.check_in_at).strftime("%H:%M")}})  # fmt: skip
    visit.status, visit.check_out_at = VisitStatus.CHECKED_OUT, when
    visit.check_out_lat, visit.check_out_lng = fix.latitude, fix.longitude
    visit.check_out_accuracy = fix.accuracy
    visit.check_out_distance = _elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    visit.tasks_done = [t for t in visit.item.checklist if t in tasks]
    visit.notes = str(notes or "")[:2000]
    visit.outcome = outcome
    visit.save()
    _event(visit, "check_out", when, actor, fix.client_action_id, {
        "lat": fix.latitude, "lng": fix.longitude, "accuracy": fix.accuracy,
        "distance": visit.check_out_distance, "outcome": outcome,
    })  # fmt: skip
    found = _check_flags(visit, explanation)
    if visit.needs_two and not visit.events.filter(kind=SECOND_CHECK_IN).exists():
        found += _raise_flags(visit, [(FlagCode.NO_SECOND_CHECK_IN, _(
            "The second caregiver did not check in; a two-caregiver visit needs both."
        ))], explanation)  # fmt: skip
    if outcome != VisitOutcome.DONE:
        _raise_flags(visit, [(FlagCode.EXCEPTION, str(VisitOutcome(outcome).label))], explanation)
    if (
        not found
        and outcome == VisitOutcome.DONE
        and visit.review_status in (ReviewStatus.NONE, ReviewStatus.ACCEPTED)
    ):
        visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, now
        visit.save(update_fields=["status", "confirmed_at", "updated_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        visit,
        visit.division_code,
        {"status": ["checked_in", visit.status], "outcome": outcome},
    )
    if outcome == VisitOutcome.UNWELL:
        transaction.on_commit(lambda: _alert_unwell(visit, actor))
    return visit


def _alert_unwell(visit: Visit, actor: Actor) -> None:
    """An elder found unwell at a visit is an alert for the call centre (after the visit's
    write has committed: the check-out stands even if raising the alert fails)."""
    detail = _("%(caregiver)s at %(service)s: %(notes)s") % {
        "caregiver": visit.caregiver.name if visit.caregiver else "",
        "service": visit.item.name, "notes": visit.notes,
    }  # fmt: skip
    alert_raise(
        elder=visit.elder, kind=AlertKind.FOUND_UNWELL, detail=detail, source=AlertSource.VISIT,
        actor=actor, dedupe_key=f"visit:{visit.external_id}",
    )  # fmt: skip


@transaction.atomic
def visit_flag_explain(*, actor: Actor, visit: Visit, code: str, explanation: str) -> VisitFlag:
    """The caregiver explains a flag (a weak GPS fix indoors, the elder met at the clinic)."""
    _require_performer(actor, visit)
    explanation = str(explanation or "").strip()
    if not explanation:
        raise ValidationError({"explanation": _("Write the explanation.")})
    flag = VisitFlag.objects.filter(visit=visit, code=code).first()
    if flag is None:
        raise ValidationError({"code": _("This visit has no flag %(code)s.") % {"code": code}})
    flag.explanation = explanation[:500]
    flag.save(update_fields=["explanation"])
    return flag


@transaction.atomic
def visit_review(*, actor: Actor, visit: Visit, decision: str, reason: str) -> Visit:
    """A provider manager or a street officer accepts or rejects a flagged visit. Only an
    accepted visit counts as delivered."""
    require_perm(actor, Permission.REVIEW_VISITS)
    visit = _locked(visit)
    if not actor.scope.covers(division_code=visit.division_code, organisation_id=visit.provider_id):
        raise PermissionDenied("visit")
    errors: dict[str, str] = {}
    if decision not in (ReviewStatus.ACCEPTED, ReviewStatus.REJECTED):
        errors["decision"] = _("Accept or reject.")
    if not str(reason or "").strip():
        errors["reason"] = _("Give the reason for the decision.")
    if visit.review_status != ReviewStatus.PENDING:
        errors["visit"] = _("This visit is not awaiting review.")
    if errors:
        raise ValidationError(errors)
    visit.review_status = decision
    if decision == ReviewStatus.ACCEPTED and visit.status == VisitStatus.CHECKED_OUT:
        visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, timezone.now()
    visit.save(update_fields=["review_status", "status", "confirmed_at", "updated_at"])
    VisitReview.objects.create(
        visit=visit, decision=decision, reason=str(reason).strip()[:300], reviewer=_user(actor),
        reviewer_username=str(getattr(actor, "username", "")),
    )  # fmt: skip
    _audit(
        actor,
        AuditAction.REVIEW,
        visit,
        visit.division_code,
        {"review": ["pending", decision], "reason": reason},
    )
    return visit


@transaction.atomic
def visit_correct(
    *, actor: Actor, visit: Visit, check_in_at: datetime.datetime | None,
    check_out_at: datetime.datetime | None, reason: str, attestation: bool,
) -> Visit:  # fmt: skip
    """A manual correction after the fact (a phone that died): kept with its history and the
    editor's attestation, and flagged ``edited`` for review."""
    require_perm(actor, Permission.CORRECT_VISITS)
    visit = _locked(visit)
    visit_action_check(actor=actor, visit=visit, action=VisitAction.CORRECT)
    errors: dict[str, str] = {}
    if not attestation:
        errors["attestation"] = _("Confirm that the corrected times are true to your knowledge.")
    if not str(reason or "").strip():
        errors["reason"] = _("Say why the record is corrected.")
    if check_in_at is None or check_out_at is None:
        errors["check_in_at"] = _("Give both the check-in and the check-out time.")
    elif check_out_at <= check_in_at:
        errors["check_out_at"] = _("The check-out must come after the check-in.")
    elif check_out_at > timezone.now():
        errors["check_out_at"] = _("The check-out lies in the future.")
    if errors:
        raise ValidationError(errors)
    before = [visit.check_in_at.isoformat() if visit.check_in_at else None,
              visit.check_out_at.isoformat() if visit.check_out_at else None]  # fmt: skip
    visit.check_in_at, visit.check_out_at = check_in_at, check_out_at
    if visit.status in (*OPEN_STATUSES, VisitStatus.CHECKED_IN, VisitStatus.MISSED):
        visit.status = VisitStatus.CHECKED_OUT
        visit.outcome = visit.outcome or VisitOutcome.DONE
    visit.save()
    after = [check_in_at.isoformat(), check_out_at.isoformat()]  # type: ignore[union-attr]
    _event(
        visit,
        "corrected",
        timezone.now(),
        actor,
        None,
        {"before": before, "after": after, "reason": reason, "attested": True},
    )
    detail = _("Corrected by %(user)s: %(reason)s") % {
        "user": getattr(actor, "username", ""),
        "reason": reason,
    }
    VisitFlag.objects.filter(visit=visit, code=FlagCode.EDITED).delete()
    _raise_flags(visit, [(FlagCode.EDITED, detail), *single_visit_flags(
        _facts(visit), radius_m=settings.VISIT_CHECK_IN_RADIUS_M,
        too_short_percent=settings.VISIT_TOO_SHORT_PERCENT)])  # fmt: skip
    if visit.review_status != ReviewStatus.PENDING:
        visit.review_status = ReviewStatus.PENDING
        visit.save(update_fields=["review_status", "updated_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        visit,
        visit.division_code,
        {"times": [before, after], "reason": reason, "attestation": True},
    )
    return visit


PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@transaction.atomic
def visit_photo_add(*, actor: Actor, visit: Visit, data: bytes, caption: str = "") -> VisitPhoto:
    """A photo taken at the visit: checked to be a real image under the size limit, stored
    re-encoded as JPEG (which also drops the phone's EXIF, location included)."""
    from PIL import Image, UnidentifiedImageError

    _require_performer(actor, visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)  # one upload at a time
    visit_action_check(actor=actor, visit=visit, action=VisitAction.PHOTO)
    limit = settings.VISIT_PHOTO_MAX_BYTES
    if len(data) > limit:
        raise ValidationError({"photo": _("The photo is %(size).1f MB; at most %(limit).1f MB.") % {
            "size": len(data) / 2**20, "limit": limit / 2**20}})  # fmt: skip
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in PHOTO_FORMATS:
                raise UnidentifiedImageError
            if image.width * image.height > 40_000_000:
                raise ValidationError({"photo": _("The image is too large in pixels.")})
            rgb = image.convert("RGB")
            rgb.thumbnail((1600, 1600))
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=82)
            width, height = rgb.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError({"photo": _("The file is not a JPEG, PNG or WebP image.")}) from exc
    if visit.photos.count() >= 10:
        raise ValidationError({"photo": _("A visit keeps at most 10 photos.")})
    photo = VisitPhoto(
        visit=visit, content_type="image/jpeg", size_bytes=out.tell(), width=width, height=height,
        uploaded_by=_user(actor), caption=str(caption or "")[:200],
    )  # fmt: skip
    photo.image.save("photo.jpg", ContentFile(out.getvalue()), save=False)
    photo.save()
    _event(visit, "photo", timezone.now(), actor, None, {"photo": str(photo.external_id)})
    return photo


# --- family: rating and complaints ---------------------------------------------------------


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
    return complaint


# --- background scans ----------------------------------------------------------------------


def _notify_late(visits: Any) -> None:
    """Tell each late visit's provider (its managers, through the notification channels)."""
    managers: dict[int, list[str]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for visit in visits:
            provider = visit.provider
            if provider.pk not in managers:
                managers[provider.pk] = list(
                    User.objects.filter(
                        Q(organisation_id=provider.pk) | Q(organisation_id=provider.operator_id),
                        role="provider_manager", is_active=True,
                    ).values_list("username", flat=True)[:10]
                )  # fmt: skip
            message = _(
                "Late visit: no check-in at %(elder)s (%(service)s, %(start)s-%(end)s), "
                "caregiver %(caregiver)s."
            ) % {
                "elder": visit.elder.name, "service": visit.item.name,
                "start": timezone.localtime(visit.window_start).strftime("%H:%M"),
                "end": timezone.localtime(visit.window_end).strftime("%H:%M"),
                "caregiver": visit.caregiver.name if visit.caregiver else _("not assigned"),
            }  # fmt: skip
            for username in managers[provider.pk] or [provider.name]:
                notification_send(
                    recipient_kind=RecipientKind.PROVIDER, recipient=username, message=message,
                    division_code=visit.division_code,
                )  # fmt: skip


def visits_mark_late(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Visits with no check-in 15 min (configurable) after the window opened become late
    (on the board, and the provider is notified once); past the window they become missed.
    Claimed with conditional updates, so several workers never notify twice."""
    now = now or timezone.now()
    late_after = datetime.timedelta(minutes=settings.VISIT_LATE_AFTER_MINUTES)
    missed_after = datetime.timedelta(minutes=settings.VISIT_MISSED_AFTER_MINUTES)
    since = (now - datetime.timedelta(days=2)).date()
    base = Visit.objects.filter(status__in=OPEN_STATUSES, check_in_at__isnull=True, date__gte=since)
    late_ids = list(
        base.filter(is_late=False, window_start__lte=now - late_after).values_list("id", flat=True)[
            :5000
        ]
    )
    claimed = Visit.objects.filter(id__in=late_ids, is_late=False).update(
        is_late=True, late_notified_at=now
    )
    missed = base.filter(window_end__lte=now - missed_after).update(
        status=VisitStatus.MISSED, updated_at=now
    )
    if claimed:
        _notify_late(
            Visit.objects.filter(id__in=late_ids, late_notified_at=now)
            .select_related("provider", "elder", "item", "caregiver")
        )  # fmt: skip
    return {"late": claimed, "missed": missed}


class Epoch(Func):
    """Seconds since 1970 of a timestamp, in the database (PostgreSQL or SQLite)."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra,
        )  # fmt: skip


def visits_scan(*, start: datetime.date, end: datetime.date) -> dict[str, int]:
    """Re-run every exception rule over the visits of a date range (a month is about
    300,000 visits in a large city) and add the flags not yet raised. Streams the visits by
    caregiver and day, writes the new flags in bulk; existing flags are kept."""
    fields = (
        "id", "date", "caregiver_id", "second_caregiver_id", "standard_minutes", "cin", "cout",
        "check_in_lat", "check_in_lng", "check_out_lat", "check_out_lng",
        "check_in_distance", "check_out_distance", "outcome", "elder__status",
        "elder__status_changed_on", "elder__deceased_on",
    )  # fmt: skip
    # Times come as epoch seconds: parsing 600,000 timestamps with their zones was a third
    # of the scan.
    rows = (
        Visit.objects.filter(date__gte=start, date__lte=end)
        .filter(Q(check_in_at__isnull=False) | Q(check_out_at__isnull=False))
        .annotate(cin=Epoch("check_in_at"), cout=Epoch("check_out_at"))
        .values_list(*fields).order_by("date", "caregiver_id").iterator(chunk_size=20000)
    )  # fmt: skip
    utc = datetime.UTC
    radius, short = settings.VISIT_CHECK_IN_RADIUS_M, settings.VISIT_TOO_SHORT_PERCENT
    speed = settings.VISIT_MAX_SPEED_KMH
    existing = set(
        VisitFlag.objects.filter(visit__date__gte=start, visit__date__lte=end).values_list(
            "visit_id", "code"
        )
    )
    new_flags: list[VisitFlag] = []
    flagged: set[int] = set()
    scanned = 0

    def keep(visit_id: int, found: list[tuple[str, str]]) -> None:
        for code, detail in found:
            if (visit_id, code) not in existing:
                existing.add((visit_id, code))
                new_flags.append(VisitFlag(visit_id=visit_id, code=code, detail=str(detail)[:300]))
                flagged.add(visit_id)

    day_batch: list[Facts] = []
    current_day: datetime.date | None = None

    def flush() -> None:
        for visit_id, found in cross_visit_flags(day_batch, max_speed_kmh=speed).items():
            keep(visit_id, found)
        day_batch.clear()

    for row in rows:
        (vid, day, cg1, cg2, minutes, in_epoch, out_epoch, ilat, ilng, olat, olng, idist, odist,
         outcome, estatus, echanged, edeceased) = row  # fmt: skip
        cin = None if in_epoch is None else datetime.datetime.fromtimestamp(in_epoch, utc)
        cout = None if out_epoch is None else datetime.datetime.fromtimestamp(out_epoch, utc)
        if day != current_day:
            flush()
            current_day = day
        facts = Facts(
            visit_id=vid, caregiver_ids=tuple(c for c in (cg1, cg2) if c), standard_minutes=minutes,
            check_in_at=cin, check_out_at=cout, in_lat=ilat, in_lng=ilng, out_lat=olat,
            out_lng=olng, in_distance=idist, out_distance=odist, outcome=outcome,
            elder_status=estatus, elder_status_since=edeceased or echanged, date=day,
        )  # fmt: skip
        day_batch.append(facts)
        keep(vid, single_visit_flags(facts, radius_m=radius, too_short_percent=short))
        scanned += 1
    flush()
    with transaction.atomic():
        VisitFlag.objects.bulk_create(new_flags, batch_size=2000, ignore_conflicts=True)
        pending = list(flagged)
        for i in range(0, len(pending), 2000):
            Visit.objects.filter(
                id__in=pending[i : i + 2000],
                review_status__in=(ReviewStatus.NONE, ReviewStatus.ACCEPTED),
            ).update(review_status=ReviewStatus.PENDING)
    return {"scanned": scanned, "new_flags": len(new_flags), "visits_flagged": len(flagged)}
