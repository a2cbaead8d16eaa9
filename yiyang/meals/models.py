"""Meal assistance (老年助餐): canteens and meal points (an extension of a facility),
dishes and menus, elders' diet needs and meal cards, bookings and standing orders, served
meals (the lines settlement bills) and the food-safety records of each canteen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import (
    USER,
    acting_user,
    optional_coordinate,
    optional_link,
    scope_code,
    status_field,
    username_copy,
)
from yiyang.core.models import BaseModel, Division
from yiyang.elders.models import Elder
from yiyang.facilities.models import Facility
from yiyang.meals.choices import (
    BookedVia,
    BookingStatus,
    InspectionResult,
    Meal,
    MealMode,
    SafetyKind,
)
from yiyang.organisations.models import Organisation

ZERO = Decimal("0.00")
PRICE: dict[str, Any] = {"max_digits": 9, "decimal_places": 2}


class Canteen(BaseModel):
    """A facility that serves meals (an elderly canteen or a meal point): when it opens, what
    it holds, where it delivers, its prices and cutoff. A central kitchen supplies meal
    points (``kitchen``); name, place and operator stay on the organisation."""

    facility = models.OneToOneField(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="canteen"
    )
    # Copied from the facility so that scope is one indexed match (division or organisation).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", editable=False
    )
    division_code = scope_code(db_index=True)
    kitchen = optional_link("self", _("supplied by kitchen"), related_name="meal_points")
    is_kitchen = models.BooleanField(_("central kitchen"), default=False)
    opening_days = models.JSONField(_("opening days"), default=list)  # 0 = Monday
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    meals = models.JSONField(_("meals served"), default=list)
    seats = models.PositiveIntegerField(_("seats"), default=0)
    capacity_per_meal = models.PositiveIntegerField(_("meals per meal-time"), default=0)
    delivers = models.BooleanField(_("delivers"), default=False)
    delivery_area = models.ManyToManyField(
        Division, verbose_name=_("delivery area"), related_name="meal_deliverers", blank=True
    )
    cutoff_minutes = models.PositiveIntegerField(_("booking cutoff (minutes before)"), default=120)
    price_breakfast = models.DecimalField(_("breakfast price"), default=ZERO, **PRICE)
    price_lunch = models.DecimalField(_("lunch price"), default=ZERO, **PRICE)
    price_dinner = models.DecimalField(_("dinner price"), default=ZERO, **PRICE)
    delivery_fee = models.DecimalField(_("delivery fee"), default=ZERO, **PRICE)
    subsidy_accepted = models.BooleanField(_("meal subsidy applies"), default=True)
    is_active = models.BooleanField(_("in service"), default=True)

    class Meta:
        ordering = ["division_code", "id"]
        verbose_name = _("canteen")
        verbose_name_plural = _("canteens")
        constraints = [
            models.CheckConstraint(
                condition=Q(price_breakfast__gte=0, price_lunch__gte=0, price_dinner__gte=0)
                & Q(delivery_fee__gte=0),
                name="canteen_prices_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.organisation.name

    def price_of(self, meal: str) -> Decimal:
        return Decimal(getattr(self, f"price_{meal}"))


class Dish(BaseModel):
    canteen = models.ForeignKey(Canteen, on_delete=models.CASCADE, related_name="dishes")
    name = models.CharField(_("name"), max_length=100)
    price = models.DecimalField(_("price"), null=True, blank=True, **PRICE)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    allergens = models.JSONField(_("allergens"), default=list, blank=True)
    is_active = models.BooleanField(_("on offer"), default=True)

    class Meta:
        ordering = ["canteen", "name", "id"]
        verbose_name = _("dish")
        verbose_name_plural = _("dishes")
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0) | Q(price__isnull=True), name="dish_price_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name


class MenuItem(models.Model):
    """A dish on a canteen's menu for one day and meal (a weekly menu is seven days)."""

    canteen = models.ForeignKey(Canteen, on_delete=models.CASCADE, related_name="menu")
    day = models.DateField(_("day"))
    meal = models.CharField(_("meal"), max_length=10, choices=Meal.choices)
    dish = models.ForeignKey(Dish, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["day", "meal", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["canteen", "day", "meal", "dish"], name="menu_item_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.meal}"


class ElderDiet(BaseModel):
    """An elder's explicit diet needs and allergies (the registry's chronic conditions add
    needs of their own). Allergies are health data: a Fernet token."""

    elder = models.OneToOneField(Elder, on_delete=models.CASCADE, related_name="diet")
    needs = models.JSONField(_("diet needs"), default=list, blank=True)
    allergies_ciphertext = models.TextField(blank=True, editable=False)

    SEALED_FIELDS = ("allergies_ciphertext",)

    def __str__(self) -> str:
        return f"diet {self.elder_id}"


class MealCard(BaseModel):
    """The meal card the platform prints: its QR code carries ``code``, nothing personal.
    A lost card is revoked and a new one issued; only one is valid at a time."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="meal_cards")
    code = models.CharField(max_length=32, unique=True, editable=False)
    issued_on = models.DateField(_("issued on"))
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["elder"], condition=Q(revoked_on__isnull=True), name="one_valid_meal_card"
            )
        ]

    def __str__(self) -> str:
        return f"card {self.elder_id}"


class ElderMeal(BaseModel):
    """An elder's meal at a canteen, booked or served: the meal-time, how it reaches the
    elder, and the elder's community code, copied so that scope is one indexed match."""

    meal = models.CharField(_("meal"), max_length=10, choices=Meal.choices)
    mode = models.CharField(_("how"), max_length=10, choices=MealMode.choices)
    division_code = scope_code(db_index=True)

    class Meta:
        abstract = True


class StandingOrder(ElderMeal):
    """A booking repeated on weekdays (lunch every weekday) between two dates."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="standing_meals")
    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="standing_orders")
    # The dish booked each day when it is on that day's menu; empty: the day's default
    # (the set meal). A day whose menu lacks it falls back to the default (Booking).
    dish = optional_link(Dish)
    weekdays = models.JSONField(_("weekdays"), default=list)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("in force"), default=True)
    placed_by = acting_user()

    def __str__(self) -> str:
        return f"standing {self.meal} {self.elder_id}"


class StandingRun(models.Model):
    """When the standing orders last booked a day (the scheduler reads it to know what is
    due: a day never booked, or one whose standing orders changed since)."""

    day = models.DateField(_("day"), unique=True)
    ran_at = models.DateTimeField(_("ran at"))
    booked = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    fell_back = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"standing run {self.day}"


class Booking(ElderMeal):
    """A meal booked for a day and meal-time: dine in, pick up or delivered. One active
    booking per elder and meal-time (a partial unique constraint)."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="meal_bookings")
    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="bookings")
    day = models.DateField(_("day"))
    dish = optional_link(Dish)
    status = status_field(BookingStatus.BOOKED, max_length=12)
    booked_via = models.CharField(_("booked via"), max_length=20, choices=BookedVia.choices)
    standing_order = optional_link(
        StandingOrder, on_delete=models.SET_NULL, related_name="bookings"
    )
    booked_by = acting_user()
    # Declared in place (not by ``optional_link``): typed as the user model, not Any.
    courier = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meal_deliveries",
    )
    route_position = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_lat = optional_coordinate()
    delivered_lng = optional_coordinate()
    is_late = models.BooleanField(_("late"), default=False)
    # Booked from a standing order whose dish was not on that day's menu: the day's
    # default was booked instead (the pages and the API say so).
    dish_fallback = models.BooleanField(_("standing dish not on the menu"), default=False)

    class Meta:
        ordering = ["day", "meal", "id"]
        verbose_name = _("meal booking")
        verbose_name_plural = _("meal bookings")
        indexes = [models.Index(fields=["canteen", "day", "meal"], name="booking_canteen_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "day", "meal"],
                condition=~Q(status=BookingStatus.CANCELLED),
                name="one_booking_per_meal_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.meal} {self.elder_id}"


class ServedMeal(ElderMeal):
    """A meal handed over (at the counter or delivered): price, subsidy and self-pay, the
    rule that granted the subsidy. The line settlement bills. One per elder and meal-time
    city-wide, whatever the canteen: a unique constraint, so two counters recording the
    same elder at the same moment cannot both succeed."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="served_meals")
    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="served")
    day = models.DateField(_("day"))
    served_at = models.DateTimeField(_("served at"))
    price_yuan = models.DecimalField(_("price"), **PRICE)
    subsidy_yuan = models.DecimalField(_("subsidy"), **PRICE)
    self_pay_yuan = models.DecimalField(_("self-pay"), **PRICE)
    subsidy_rule = optional_link("assessments.EligibilityRule")
    booking = optional_link(Booking, on_delete=models.SET_NULL)
    # Set by the counter's browser: a re-sent offline record is recognised, never re-applied.
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    recorded_offline = models.BooleanField(_("recorded offline"), default=False)
    recorded_by = acting_user()
    recorded_by_username = username_copy()
    canteen_division_code = scope_code(db_index=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # A meal recorded by mistake (wrong elder, wrong meal-time) is voided, never deleted:
    # its subsidy no longer counts (the monthly cap, settlement, indicators) and the
    # meal-time is free again for the right record.
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)
    voided_by_username = username_copy()

    class Meta:
        ordering = ["-served_at", "-id"]
        verbose_name = _("served meal")
        verbose_name_plural = _("served meals")
        indexes = [
            models.Index(fields=["canteen", "day", "meal"], name="served_canteen_day"),
            models.Index(fields=["organisation", "day"], name="served_org_day"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "day", "meal"],
                condition=Q(voided_at__isnull=True),
                name="one_meal_per_elder_meal_time",
            ),
            models.CheckConstraint(
                condition=Q(subsidy_yuan__gte=0, self_pay_yuan__gte=0)
                & Q(price_yuan=models.F("subsidy_yuan") + models.F("self_pay_yuan")),
                name="served_meal_split_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.meal} {self.elder_id}"


class FoodSafetyRecord(BaseModel):
    """A daily sample retention (留样, kept 48 hours), a storage temperature, or an
    inspection, with who recorded it and when."""

    canteen = models.ForeignKey(Canteen, on_delete=models.CASCADE, related_name="safety")
    kind = models.CharField(_("kind"), max_length=12, choices=SafetyKind.choices)
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("at"))
    recorded_by_name = models.CharField(_("recorded by"), max_length=50)
    meal = models.CharField(_("meal"), max_length=10, choices=Meal.choices, blank=True)
    temperature_c = models.DecimalField(
        _("temperature (°C)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    place = models.CharField(_("where"), max_length=60, blank=True)
    result = models.CharField(
        _("result"), max_length=12, choices=InspectionResult.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-day", "-at", "-id"]
        indexes = [models.Index(fields=["canteen", "kind", "day"], name="safety_canteen_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}"


class HealthCertificate(BaseModel):
    """A kitchen worker's health certificate (健康证) and when it expires."""

    canteen = models.ForeignKey(Canteen, on_delete=models.CASCADE, related_name="certificates")
    staff_name = models.CharField(_("staff member"), max_length=50)
    number = models.CharField(_("certificate number"), max_length=40, blank=True)
    expires_on = models.DateField(_("expires on"))

    class Meta:
        ordering = ["expires_on", "id"]

    def __str__(self) -> str:
        return self.staff_name
