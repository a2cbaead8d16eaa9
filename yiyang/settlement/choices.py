"""Codes of the settlement app: stored as codes, rendered as words."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FundSource(models.TextChoices):
    CENTRAL = "central", _("Central government")
    PROVINCIAL = "provincial", _("Provincial government")
    CITY = "city", _("City government")
    DISTRICT = "district", _("District government")


class FundPurpose(models.TextChoices):
    HOME_CARE = "home_care", _("Home-care allowance")
    MEALS = "meals", _("Meal subsidy")
    DEVICES = "devices", _("Smart devices")
    CONSTRUCTION = "construction", _("Construction")
    CAREGIVERS = "caregivers", _("Caregiver subsidies")


class ContractScope(models.TextChoices):
    """What a contract buys, hence which units its statements bill: home-care services at
    the contract's unit prices (visits), or a canteen's subsidised meals only (the served
    meals' subsidy, priced at the counter)."""

    HOME_CARE = "home_care", _("Home-care services")
    MEALS = "meals", _("Meals only (a canteen's meal subsidy)")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed by the provider")
    VERIFIED = "verified", _("Verified by the street")
    APPROVED = "approved", _("Approved by the district")
    RELEASED = "released", _("Released by finance")
    PAID = "paid", _("Paid")


# A statement in one of these may no longer change: corrections become adjustments.
FROZEN = (StatementStatus.APPROVED, StatementStatus.RELEASED, StatementStatus.PAID)


class LineStatus(models.TextChoices):
    PAYABLE = "payable", _("Payable")
    HELD = "held", _("Held")
    PAID_IN_FULL = "pay", _("Paid in full after review")
    REDUCED = "reduce", _("Reduced after review")
    REJECTED = "reject", _("Rejected after review")


class Decision(models.TextChoices):
    PAY = "pay", _("Pay in full")
    REDUCE = "reduce", _("Reduce")
    REJECT = "reject", _("Reject")


class HoldReason(models.TextChoices):
    FLAG_UNREVIEWED = "flag_unreviewed", _("A flag on the visit is not yet reviewed")
    FLAG_UPHELD = "flag_upheld", _("A flag on the visit was upheld on review")
    ELDER_UNAVAILABLE = "elder_unavailable", _("The registry had the elder away on that date")
    CAREGIVER_ELSEWHERE = (
        "caregiver_elsewhere",
        _("The caregiver was checked in elsewhere at the same time"),
    )
    ELDER_AWAY = "elder_away", _("The elder's wearable placed the elder away from home")
    ALLOWANCE_EXCEEDED = "allowance_exceeded", _("The elder's monthly allowance is exceeded")
    DUPLICATE = "duplicate", _("The same service was billed twice for the same elder and time")
    CERTIFICATE_EXPIRED = "certificate_expired", _("The caregiver's certificate had expired")
    NO_VERIFIED_VISIT = (
        "no_verified_visit",
        _("No verified visit to the elder in the month of the package"),
    )


class SourceKind(models.TextChoices):
    VISIT = "visit", _("Home-care visit")
    PACKAGE = "package", _("Monthly service package")
    # Caregivers' post subsidies (workforce): the payee is the caregiver, not a service.
    CAREGIVER_ENTRY = "caregiver_entry", _("Caregiver entry subsidy")
    CAREGIVER_POST = "caregiver_post", _("Caregiver post subsidy")
    ADJUSTMENT = "adjustment", _("Adjustment of an earlier month")


class RiskFactor(models.TextChoices):
    FLAG_SHARE = "flag_share", _("Share of flagged visits")
    TOO_SHORT = "too_short", _("Share of too-short visits")
    OUT_OF_RANGE = "out_of_range", _("Share of visits checked in away from the address")
    SAME_SPOT = "same_spot", _("Identical check-in coordinates for different elders")
    LONG_DAYS = "long_days", _("Implausibly long working days or fast travel")
    MONTH_END = "month_end", _("Visits clustered at the end of the month")
    RATINGS = "ratings", _("Low ratings")
    COMPLAINTS = "complaints", _("Complaints")


# Line kinds whose payee is a caregiver (``StatementLine.person``): billed under contracts
# of a caregiver-subsidy budget line only, once per person, kind and month.
PAYEE_KINDS = (SourceKind.CAREGIVER_ENTRY.value, SourceKind.CAREGIVER_POST.value)
