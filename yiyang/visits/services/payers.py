"""Who pays for a visit: the one rule that splits a service's price between the government
home-care allowance, long-term-care insurance and the elder (self-pay).

The split is computed from the price and the elder's entitlement; people do not type it.
The order page shows it live (:func:`payer_split_proposal`), the API and the service fill it
when the shares are omitted, and an officer may override it only with a written reason
(:func:`payer_split`), which the order keeps and the audit log records.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext as _

from yiyang.assessments.choices import EntitlementKind, EntitlementUnit
from yiyang.assessments.services import entitlements_for
from yiyang.core import clock
from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.elders.models import Elder
from yiyang.organisations.models import Organisation
from yiyang.services.models import ServiceItem
from yiyang.visits.choices import ReviewStatus, VisitStatus
from yiyang.visits.models import Visit
from yiyang.visits.services.common import CENT, _money

ZERO = Decimal("0.00")
# Long-term-care insurance pays a share (settings.LTC_SHARE_PERCENT, the city's pilot) of the
# services of settings.LTC_SERVICE_CATEGORIES for elders of settings.LTC_ABILITY_LEVELS,
# rounded to the yuan.
SHARE_FIELDS = ("allowance_yuan", "ltc_yuan", "self_pay_yuan")

# Checks that an order's allowance share is bought under a live contract: each takes
# (provider, item, the elder's division code, the dates) and answers a problem or None.
# The settlement app registers its check here (visits never imports settlement).
AllowanceCoverCheck = Callable[[Organisation, ServiceItem, str, list[datetime.date]], str | None]
ALLOWANCE_COVER_CHECKS: list[AllowanceCoverCheck] = []


def monthly_allowance(elder: Elder, day: datetime.date) -> Decimal | None:
    """The home-care allowance in yuan a month the elder is entitled to (None: none)."""
    amounts = [
        e.rule.amount_yuan
        for e in entitlements_for(elder=elder, today=day)
        if e.rule.entitlement == EntitlementKind.HOME_CARE_ALLOWANCE
        and e.rule.unit == EntitlementUnit.PER_MONTH
        and e.rule.amount_yuan is not None
    ]
    return sum(amounts, ZERO) if amounts else None


def allowance_used(elder: Elder, year: int, month: int) -> Decimal:
    """The allowance already booked for the elder's visits of a month."""
    used = (
        Visit.objects.filter(elder=elder, date__year=year, date__month=month)
        .exclude(status__in=(VisitStatus.CANCELLED, VisitStatus.MISSED))
        .exclude(review_status=ReviewStatus.REJECTED)
        .aggregate(total=Sum("allowance_yuan"))["total"]
    )
    return used or ZERO


def ltc_covers(elder: Elder, item: ServiceItem) -> bool:
    """Whether long-term-care insurance pays a share of this service for this elder."""
    return (
        elder.ability_level in settings.LTC_ABILITY_LEVELS
        and item.category in settings.LTC_SERVICE_CATEGORIES
    )


def ltc_share(price: Decimal, covered: bool) -> Decimal:
    """Long-term-care insurance's part of a price it covers: its share, to the yuan."""
    if not covered:
        return ZERO
    share = Decimal(settings.LTC_SHARE_PERCENT) / 100
    return min((price * share).quantize(Decimal("1"), ROUND_HALF_UP), price).quantize(CENT)


def shares_of(price: Decimal, covered: bool, allowance_room: Decimal) -> tuple[Decimal, ...]:
    """(allowance, insurance, self-pay) of one visit: insurance where it covers the service,
    the allowance up to the room the elder's entitlement leaves for this visit, the elder
    the rest; the three add up to the price exactly."""
    ltc = ltc_share(price, covered)
    allowance = max(min(allowance_room.quantize(CENT, ROUND_FLOOR), price - ltc), ZERO)
    return allowance, ltc, price - allowance - ltc


def _per_month(dates: list[datetime.date]) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = {}
    for day in dates:
        counts[(day.year, day.month)] = counts.get((day.year, day.month), 0) + 1
    return counts


def _cover_problem(
    provider: Organisation | None, item: ServiceItem, elder: Elder, dates: list[datetime.date]
) -> str | None:
    if provider is None:
        return None
    for check in ALLOWANCE_COVER_CHECKS:
        problem = check(provider, item, elder.division_code, dates)
        if problem:
            return problem
    return None


@dataclass(frozen=True)
class SplitProposal:
    """The computed split of one visit's price and the entitlement it was computed from."""

    price: Decimal
    allowance_yuan: Decimal
    ltc_yuan: Decimal
    self_pay_yuan: Decimal
    monthly_allowance: Decimal | None  # None: the elder has no home-care allowance
    allowance_left: Decimal  # left in the month of the order's first visit
    ltc_covered: bool
    ltc_percent: int
    cover_problem: str  # why the allowance cannot be used (no live contract), or ""

    def shares(self) -> tuple[Decimal, Decimal, Decimal]:
        return self.allowance_yuan, self.ltc_yuan, self.self_pay_yuan

    def as_dict(self) -> dict[str, Any]:
        return {
            "price": str(self.price),
            "allowance_yuan": str(self.allowance_yuan),
            "ltc_yuan": str(self.ltc_yuan),
            "self_pay_yuan": str(self.self_pay_yuan),
            "monthly_allowance": None
            if self.monthly_allowance is None
            else str(self.monthly_allowance),
            "allowance_left": str(self.allowance_left),
            "ltc_covered": self.ltc_covered,
            "ltc_percent": self.ltc_percent,
            "cover_problem": self.cover_problem,
        }


def payer_split_proposal(
    *,
    elder: Elder,
    item: ServiceItem,
    price: Decimal,
    dates: list[datetime.date],
    provider: Organisation | None = None,
) -> SplitProposal:
    """The split the platform proposes: long-term-care insurance its share where it covers
    the service, the allowance as much as the elder has left in every month the order
    touches (spread evenly over that month's visits), the elder the rest."""
    covered = ltc_covers(elder, item)
    ltc = ltc_share(price, covered)
    today = dates[0] if dates else clock.localdate()
    monthly = monthly_allowance(elder, today)
    left = ZERO
    allowance = ZERO
    if monthly is not None:
        left = max(monthly - allowance_used(elder, today.year, today.month), ZERO)
        per_visit = [
            max(monthly - allowance_used(elder, year, month), ZERO) / count
            for (year, month), count in sorted(_per_month(dates).items())
        ]
        fits = min(per_visit) if per_visit else left
        allowance = shares_of(price, covered, fits)[0]
    problem = ""
    if allowance > 0:
        problem = _cover_problem(provider, item, elder, dates) or ""
        if problem:
            allowance = ZERO
    return SplitProposal(
        price=price,
        allowance_yuan=allowance,
        ltc_yuan=ltc,
        self_pay_yuan=price - allowance - ltc,
        monthly_allowance=monthly,
        allowance_left=left,
        ltc_covered=covered,
        ltc_percent=settings.LTC_SHARE_PERCENT if covered else 0,
        cover_problem=problem,
    )


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
    for (year, month), count in sorted(_per_month(dates).items()):
        used = allowance_used(elder, year, month)
        if used + allowance * count > monthly:
            errors["allowance_yuan"] = _(
                "In %(year)d-%(month)02d the allowance would reach %(total)s yuan; the "
                "elder's allowance is %(monthly)s yuan a month (%(used)s already booked)."
            ) % {
                "year": year,
                "month": month,
                "total": used + allowance * count,
                "monthly": monthly,
                "used": used,
            }
            return


def _given_shares(
    shares: dict[str, Any], price: Decimal, errors: dict[str, str]
) -> tuple[Decimal, Decimal, Decimal]:
    allowance = _money(shares.get("allowance_yuan"), "allowance_yuan", errors)
    ltc = _money(shares.get("ltc_yuan"), "ltc_yuan", errors)
    if shares.get("self_pay_yuan") in (None, ""):
        self_pay = max(price - allowance - ltc, ZERO)
    else:
        self_pay = _money(shares["self_pay_yuan"], "self_pay_yuan", errors)
    return allowance, ltc, self_pay


def payer_split(
    *,
    actor: Actor,
    elder: Elder,
    item: ServiceItem,
    provider: Organisation | None,
    price: Decimal,
    dates: list[datetime.date],
    shares: dict[str, Any],
    reason: str,
    errors: dict[str, str],
) -> tuple[Decimal, Decimal, Decimal, str]:
    """The split an order stores, and the override reason ("" when the computed split).

    Shares omitted (or equal to the computed ones): the computed split. Other shares are an
    override: only an officer may make one, with a written reason; the shares must add up to
    the price exactly and the allowance must fit the elder's entitlement and a contract."""
    proposal = payer_split_proposal(
        elder=elder, item=item, price=price, dates=dates, provider=provider
    )
    reason = str(reason or "").strip()
    if all(shares.get(f) in (None, "") for f in SHARE_FIELDS):
        return (*proposal.shares(), "")
    given = _given_shares(shares, price, errors)
    if errors or given == proposal.shares():
        return (*given, "")
    if not has_perm(actor, Permission.OVERRIDE_PAYER_SPLIT):
        changed = next(
            f for f, a, b in zip(SHARE_FIELDS, given, proposal.shares(), strict=True) if a != b
        )
        errors[changed] = _(
            "The payers' shares are computed from the price and the elder's entitlement; "
            "only an officer may change them."
        )
        return (*proposal.shares(), "")
    allowance, ltc, self_pay = given
    problems: dict[str, str] = {}
    if allowance + ltc + self_pay != price:
        problems["self_pay_yuan"] = _(
            "The payers' shares (%(sum)s) must add up to the price of %(price)s yuan."
        ) % {"sum": allowance + ltc + self_pay, "price": price}
    elif allowance > 0 and dates:
        _allowance_errors(elder, allowance, dates, problems)
        problem = None if problems else _cover_problem(provider, item, elder, dates)
        if problem:
            problems["allowance_yuan"] = problem
    if not reason:
        problems["split_reason"] = _("Give the reason for changing the computed payers' shares.")
    errors.update(problems)
    return allowance, ltc, self_pay, reason[:300]
