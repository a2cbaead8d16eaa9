"""Orders and care plans, the visits they produce, and how each visit was verified."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.clock import ClockDateTimeField
from yiyang.core.crypto import EncryptedTextField
from yiyang.core.model_mixins import (
    PhotoFile,
    acting_user,
    choice_field,
    optional_link,
    scope_code,
    status_field,
    username_copy,
)
from yiyang.core.models import BaseModel
from yiyang.elders.models import elder_link
from yiyang.organisations.models import provider_link
from yiyang.services.models import Caregiver, service_link
from yiyang.visits.choices import (
    FlagCode,
    OrderKind,
    OrderStatus,
    PlacedVia,
    ReviewStatus,
    VisitOutcome,
    VisitStatus,
)

MONEY: dict[str, Any] = {"max_digits": 8, "decimal_places": 2}


class ServiceTerms(BaseModel):
    """What an order and each visit it produces hold alike: the community code that scopes
    them, who pays what share of the price, and the cancelling."""

    division_code = scope_code()
    allowance_yuan = models.DecimalField(_("government allowance (yuan)"), **MONEY)
    ltc_yuan = models.DecimalField(_("long-term-care insurance (yuan)"), **MONEY)
    self_pay_yuan = models.DecimalField(_("self-pay (yuan)"), **MONEY)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    class Meta:
        abstract = True


class Order(ServiceTerms):
    """An order for one visit, or a care plan of recurring visits, for one elder."""

    elder = elder_link("orders")
    provider = provider_link("orders")
    item = service_link("orders")
    kind = models.CharField(_("kind"), max_length=8, choices=OrderKind.choices)
    placed_via = models.CharField(_("placed by"), max_length=20, choices=PlacedVia.choices)
    placed_by = acting_user()
    placed_by_username = username_copy()
    relation = models.CharField(_("relation to the elder"), max_length=32, blank=True)
    starts_on = models.DateField(_("first date"))
    ends_on = models.DateField(_("last date"))
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)  # 0 = Monday
    window_start = models.TimeField(_("window from"))
    window_end = models.TimeField(_("window to"))
    price = models.DecimalField(_("price per visit (yuan)"), **MONEY)
    # What the caregiver should know ("老人听力不好"): often health data, encrypted.
    note = EncryptedTextField(_("note"), max_length=500, blank=True)
    status = status_field(OrderStatus.ACTIVE, max_length=10)
    cancelled_by = acting_user()
    # An officer's written reason for changing the computed payer split ("" when computed).
    split_reason = models.CharField(
        _("reason for changing the payer split"), max_length=300, blank=True
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=("provider", "status"), name="order_provider_status"),
            models.Index(fields=("division_code",), name="order_division"),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} · {self.starts_on}"

    @property
    def relation_label(self) -> str:
        """The family member's relation to the elder, in words (stored as a code)."""
        from yiyang.core.display import choice_label
        from yiyang.elders.choices import Relation

        return choice_label(Relation, self.relation) if self.relation else ""


class Visit(ServiceTerms):
    """One visit: the six facts of electronic visit verification (service, elder, caregiver,
    date, place, start and end) and everything that happened on it."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="visits")
    elder = elder_link("visits")
    provider = provider_link("visits")
    item = service_link("visits")
    date = models.DateField(_("date"))
    window_start = models.DateTimeField(_("window from"))
    window_end = models.DateTimeField(_("window to"))
    standard_minutes = models.PositiveIntegerField(_("standard duration (minutes)"))
    needs_two = models.BooleanField(_("needs two caregivers"), default=False)
    caregiver = optional_link(Caregiver, _("caregiver"), related_name="visits")
    second_caregiver = optional_link(Caregiver, _("second caregiver"), related_name="second_visits")
    status = status_field(VisitStatus.SCHEDULED, max_length=12)
    # when the service is planned to start (set by dispatch and by an accepted plan); it
    # orders the caregiver's day for the dispatch rules and the board
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    on_the_way_at = models.DateTimeField(_("set off at"), null=True, blank=True)
    check_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_in_lat = models.FloatField(null=True, blank=True)
    check_in_lng = models.FloatField(null=True, blank=True)
    check_in_accuracy = models.FloatField(null=True, blank=True)
    check_in_distance = models.FloatField(_("check-in distance (m)"), null=True, blank=True)
    check_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    check_out_lat = models.FloatField(null=True, blank=True)
    check_out_lng = models.FloatField(null=True, blank=True)
    check_out_accuracy = models.FloatField(null=True, blank=True)
    check_out_distance = models.FloatField(_("check-out distance (m)"), null=True, blank=True)
    tasks_done = models.JSONField(_("tasks done"), default=list, blank=True)
    # What the caregiver saw ("已提醒老人按时服用降压药"): health data, encrypted.
    notes = EncryptedTextField(_("notes"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=VisitOutcome.choices, blank=True
    )
    is_late = models.BooleanField(_("late"), default=False)
    late_notified_at = models.DateTimeField(null=True, blank=True)
    review_status = choice_field(_("review"), ReviewStatus.NONE, max_length=10)
    price = models.DecimalField(_("price (yuan)"), **MONEY)
    short_notice = models.BooleanField(_("cancelled at short notice"), default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("window_start", "id")
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=("provider", "date"), name="visit_provider_date"),
            models.Index(fields=("caregiver", "date"), name="visit_caregiver_date"),
            models.Index(
                fields=("second_caregiver", "date"),
                name="visit_second_date",
                condition=Q(second_caregiver__isnull=False),
            ),
            models.Index(fields=("division_code", "date"), name="visit_division_date"),
            models.Index(fields=("elder", "date"), name="visit_elder_date"),
            models.Index(fields=("date", "status"), name="visit_date_status"),
            models.Index(
                fields=("provider", "review_status"),
                name="visit_review_queue",
                condition=Q(review_status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} · {self.date}"

    @property
    def delivered(self) -> bool:
        """Counts as delivered: the service was done, the visit confirmed, and if it was
        flagged, accepted on review. A confirmed "not at home" or "refused" visit is a true
        record of an attempt, not a delivered service."""
        return (
            self.status == VisitStatus.CONFIRMED
            and self.outcome in ("", VisitOutcome.DONE)
            and self.review_status in (ReviewStatus.NONE, ReviewStatus.ACCEPTED)
        )


class VisitEvent(models.Model):
    """What happened to a visit and when (the phone's time and the server's), with the
    queued action's id so that a re-sent offline action is applied once."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24)
    at = models.DateTimeField()
    recorded_at = ClockDateTimeField(auto_now_add=True)
    actor = acting_user()
    actor_username = username_copy()
    client_action_id = models.UUIDField(null=True, blank=True, unique=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class VisitFlag(models.Model):
    """A reason a visit needs review; never silent, never a block."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="flags")
    code = models.CharField(_("code"), max_length=20, choices=FlagCode.choices)
    detail = models.CharField(_("detail"), max_length=300)
    explanation = models.CharField(_("caregiver's explanation"), max_length=500, blank=True)
    raised_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("raised_at", "id")
        constraints = [models.UniqueConstraint(fields=("visit", "code"), name="one_flag_per_code")]

    def __str__(self) -> str:
        return self.code


class VisitReview(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(_("decision"), max_length=10, choices=ReviewStatus.choices)
    reason = models.CharField(_("reason"), max_length=300)
    reviewer = acting_user()
    reviewer_username = username_copy()
    at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return self.decision


def photo_path(instance: VisitPhoto, filename: str) -> str:
    return f"visits/{instance.visit.date:%Y/%m}/{instance.external_id}.jpg"


class VisitPhoto(PhotoFile):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_path)
    content_type = models.CharField(max_length=40)
    caption = models.CharField(_("caption"), max_length=200, blank=True)


class VisitRating(models.Model):
    """A family member's or the elder's rating of a visit: one per visit."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="rating")
    stars = models.PositiveSmallIntegerField(_("rating"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_by = acting_user()
    at = ClockDateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.stars}/5"
