"""Codes of the supervision app: rating workflow, inspections, complaints."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RatingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Applied")  # 已申请, self-assessment attached
    SCORING = "scoring", _("Being scored")  # an evaluator is assigned
    SCORED = "scored", _("Scored")
    DISTRICT_REVIEWED = "district_reviewed", _("Reviewed by the district")
    PUBLISHED = "published", _("Published")
    SUSPENDED = "suspended", _("Suspended")
    REJECTED = "rejected", _("Rejected")


# Which statuses may follow which: the page's buttons and the services' guards read this.
RATING_NEXT: dict[str, tuple[str, ...]] = {
    RatingStatus.DRAFT: (RatingStatus.SUBMITTED,),
    RatingStatus.SUBMITTED: (RatingStatus.SCORING, RatingStatus.REJECTED),
    RatingStatus.SCORING: (RatingStatus.SCORED,),
    RatingStatus.SCORED: (RatingStatus.DISTRICT_REVIEWED, RatingStatus.SCORING),
    RatingStatus.DISTRICT_REVIEWED: (RatingStatus.PUBLISHED, RatingStatus.SCORING),
    RatingStatus.PUBLISHED: (RatingStatus.SUSPENDED,),
    RatingStatus.SUSPENDED: (),
    RatingStatus.REJECTED: (),
}


class RatingChange(models.TextChoices):
    PUBLISHED = "published", _("Published")
    LOWERED = "lowered", _("Lowered")
    SUSPENDED = "suspended", _("Suspended")


class InspectionKind(models.TextChoices):
    FIRE = "fire", _("Fire safety")
    FOOD = "food", _("Food safety")
    BUILDING = "building", _("Building safety")
    SERVICE = "service", _("Service safety")


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", pgettext_lazy("inspection result", "Failed")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    SERIOUS = "serious", _("Serious hazard")  # 重大隐患


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("Ordered")
    RESPONDED = "responded", _("Provider responded")
    CLOSED = "closed", _("Closed after re-inspection")


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    DISTRICT = 1, _("Escalated to the district")
    CITY = 2, _("Escalated to the city")


class ComplaintChannel(models.TextChoices):
    FAMILY_PAGE = "family_page", _("Family page")
    CALL_CENTRE = "call_centre", _("Call centre (phone)")
    WALK_IN = "walk_in", _("Walk-in at the community")
    HOTLINE_12345 = "hotline_12345", _("12345 hotline work order")


class ComplaintCategory(models.TextChoices):
    SERVICE_QUALITY = "service_quality", _("Service quality")
    ATTITUDE = "attitude", _("Attitude of staff")
    SAFETY = "safety", _("Safety")
    CHARGES = "charges", _("Charges")
    MEALS = "meals", _("Meals")
    OTHER = "other", _("Other")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Complaint received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


OPEN_COMPLAINT_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED)


class ComplaintEventKind(models.TextChoices):
    RECEIVED = "received", _("Complaint received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    ESCALATED = "escalated", _("Escalated")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    MIGRATED = "migrated", _("Moved from the family page")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")  # 法定节假日 / 放假
    WORKDAY = "workday", _("Working weekend day")  # 调休上班


class EvaluationStatus(models.TextChoices):
    OPEN = "open", _("To be evaluated")
    SCORED = "scored", _("Evaluated")
