"""Fixed vocabularies of orders, visits and their verification."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderKind(models.TextChoices):
    ONE_OFF = "one_off", _("One visit")
    PLAN = "plan", _("Care plan (recurring visits)")


class OrderStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("order status", "Active")
    CANCELLED = "cancelled", _("Cancelled")
    ENDED = "ended", _("Ended")


class PlacedVia(models.TextChoices):
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    CALL_CENTRE = "call_centre", _("Call-centre operator")
    FAMILY = "family", _("Family member on the elder's behalf")
    ELDER = "elder", _("The elder")
    PROVIDER = "provider", _("The provider")
    OFFICER = "officer", _("Civil-affairs officer")


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ASSIGNED = "assigned", _("Assigned")
    ON_THE_WAY = "on_the_way", _("On the way")
    CHECKED_IN = "checked_in", _("Checked in")
    CHECKED_OUT = "checked_out", _("Checked out")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Missed")


OPEN_STATUSES = (VisitStatus.SCHEDULED, VisitStatus.ASSIGNED, VisitStatus.ON_THE_WAY)
DONE_STATUSES = (VisitStatus.CHECKED_OUT, VisitStatus.CONFIRMED)


class VisitOutcome(models.TextChoices):
    DONE = "done", _("Service delivered")
    NOT_HOME = "not_home", _("Elder not at home")
    REFUSED = "refused", _("Elder refused the service")
    UNWELL = "unwell", _("Elder found unwell")


class FlagCode(models.TextChoices):
    """Why a visit needs a person to look at it. Codes are a public interface."""

    OUT_OF_RANGE = "out_of_range", _("Checked in or out away from the elder's address")
    TOO_SHORT = "too_short", _("Shorter than half the standard duration")
    OVERLAP = "overlap", _("The caregiver was in another visit at the same time")
    IMPOSSIBLE_TRAVEL = "impossible_travel", _("Travel between visits faster than plausible")
    ELDER_UNAVAILABLE = (
        "elder_unavailable",
        _("The elder was in hospital, in an institution or deceased"),
    )
    NO_CHECK_IN = "no_check_in", _("Checked out without a check-in")
    NO_SECOND_CHECK_IN = (
        "no_second_check_in",
        _("A two-caregiver visit ended without the second caregiver's check-in"),
    )
    EDITED = "edited", _("Corrected by hand after the fact")
    LATE = "late", _("No check-in after the window opened")
    EXCEPTION = "exception", _("Visit ended with an exception")
    NO_HOME_LOCATION = (
        "no_home_location",
        _("The elder's home is not on the map: the check-in place could not be checked"),
    )


class ReviewStatus(models.TextChoices):
    NONE = "none", _("No review needed")
    PENDING = "pending", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class PayerKind(models.TextChoices):
    ALLOWANCE = "allowance", _("Government allowance")
    LTC_INSURANCE = "ltc_insurance", _("Long-term-care insurance")
    SELF_PAY = "self_pay", _("Self-pay")
