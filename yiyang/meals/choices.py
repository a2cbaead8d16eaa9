"""Fixed vocabularies of meal assistance (老年助餐): meal-times, how a meal is taken, who
booked it, dish labels and diet needs, booking and delivery states, food-safety records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiyang.elders.choices import ChronicCondition


class Meal(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    DINNER = "dinner", _("Dinner")


class MealMode(models.TextChoices):
    DINE_IN = "dine_in", _("Dine in")
    PICK_UP = "pick_up", _("Pick up")
    DELIVERY = "delivery", _("Delivery")


class BookedVia(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    FAMILY = "family", _("Family member")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    CALL_CENTRE = "call_centre", _("Call centre")
    STANDING_ORDER = "standing_order", _("Standing order")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    SERVED = "served", _("Served")
    DELIVERED = "delivered", _("Delivered")
    NOT_AT_HOME = "not_at_home", _("Elder not at home")


# A booking in these states holds a place (capacity, one booking per elder and meal-time).
ACTIVE_BOOKING = (
    BookingStatus.BOOKED,
    BookingStatus.SERVED,
    BookingStatus.DELIVERED,
    BookingStatus.NOT_AT_HOME,
)


class DietLabel(models.TextChoices):
    """What a dish is (on the menu) and what an elder needs (a dish without the label the
    elder needs is a warning)."""

    SOFT = "soft", _("Soft")
    LOW_SALT = "low_salt", _("Low salt")
    LOW_SUGAR = "low_sugar", _("Low sugar (diabetic)")
    HALAL = "halal", _("Halal")
    VEGETARIAN = "vegetarian", _("Vegetarian")


# Chronic conditions of the registry (GB/T 42195 A.4.1 codes) that imply a diet need.
CONDITION_NEEDS: dict[str, str] = {
    ChronicCondition.DIABETES: DietLabel.LOW_SUGAR,
    ChronicCondition.HYPERTENSION: DietLabel.LOW_SALT,
    ChronicCondition.CHRONIC_RENAL_FAILURE: DietLabel.LOW_SALT,
    ChronicCondition.PARKINSONISM: DietLabel.SOFT,
}


class PayerKind(models.TextChoices):
    """Who pays which part of a served meal (the split settlement bills)."""

    MEAL_SUBSIDY = "meal_subsidy", _("Meal subsidy (government)")
    SELF_PAY = "self_pay", _("Self-pay")


class SafetyKind(models.TextChoices):
    SAMPLE = "sample", _("Sample retention (留样)")
    TEMPERATURE = "temperature", _("Storage temperature")
    INSPECTION = "inspection", _("Inspection")


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    CORRECTIONS = "corrections", _("Corrections required")
    FAILED = "failed", pgettext_lazy("inspection result", "Failed")
