"""Supervision records: rating schemes and star ratings, safety inspections with their
rectifications, the city's complaint register and the calendar of working days."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import (
    USER,
    Edition,
    PhotoFile,
    acting_user,
    choice_field,
    optional_coordinate,
    optional_link,
    scope_code,
    status_field,
)
from yiyang.core.models import BaseModel, Division
from yiyang.organisations.models import Organisation, provider_link
from yiyang.supervision.choices import (
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEventKind,
    ComplaintStatus,
    DayKind,
    EscalationLevel,
    EvaluationStatus,
    InspectionKind,
    InspectionResult,
    InspectionStatus,
    RatingChange,
    RatingStatus,
    RectificationStatus,
    Severity,
)

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable


class Scheme(Edition):
    """A published scheme as data, named, with the source it comes from."""

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=500)

    class Meta(Edition.Meta):
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class RatingScheme(Scheme):
    """A versioned rating scheme (items in parts, points, level thresholds, capping items),
    loaded from JSON like the assessment instruments; ratings keep the edition they used."""

    # Thresholds not confirmed from a public source: shown as unverified on every page.
    unverified = models.BooleanField(_("unverified"), default=False)
    # The organisation kinds it rates, and the parts and levels as loaded (validated).
    organisation_kinds = models.JSONField(default=list)
    parts = models.JSONField(default=list)  # [{"code", "name", "max"}]
    levels = models.JSONField(default=list)  # [{"level", "min_total", "min_part_share"}]

    class Meta(Scheme.Meta):
        verbose_name = _("rating scheme")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rating_scheme_version")
        ]


class RatingItem(models.Model):
    """One scored item. A capping item holds the level at ``cap_level`` at most when it
    scores below ``cap_below`` (e.g. a fire-safety veto), whatever the total."""

    scheme = models.ForeignKey(RatingScheme, on_delete=models.CASCADE, related_name="items")
    part = models.CharField(_("part"), max_length=40)
    code = models.CharField(_("code"), max_length=40)
    text = models.CharField(_("item"), max_length=500)
    max_points = models.DecimalField(_("maximum points"), max_digits=7, decimal_places=2)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    cap_level = models.PositiveSmallIntegerField(_("caps the level at"), null=True, blank=True)
    cap_below = models.DecimalField(
        _("when scored below"), null=True, blank=True, max_digits=7, decimal_places=2
    )
    unverified = models.BooleanField(_("unverified"), default=False)
    # Where the item and its figures (points, evidence, capping) come from, and which edition.
    source = models.CharField(_("source"), max_length=300, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["scheme", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="rating_item_code")]

    def __str__(self) -> str:
        return self.code


def _institution_link(
    related_name: str,
) -> models.ForeignKey[Organisation | Combinable, Organisation]:
    """The institution a supervision record is about."""
    return models.ForeignKey(
        Organisation,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name=related_name,
    )


class Rating(BaseModel):
    """An institution's application for a star level, its evaluation and its outcome."""

    organisation = _institution_link("ratings")
    division_code = scope_code(db_index=True)
    scheme = models.ForeignKey(RatingScheme, on_delete=models.PROTECT, related_name="ratings")
    status = status_field(RatingStatus.DRAFT, max_length=20)
    applied_level = models.PositiveSmallIntegerField(_("level applied for"), null=True)
    self_assessment = models.JSONField(default=dict, blank=True)  # {item code: points}
    evaluator = optional_link(USER, _("evaluator"), related_name="assigned_ratings")
    total = models.DecimalField(_("total"), null=True, blank=True, max_digits=7, decimal_places=2)
    computed_level = models.PositiveSmallIntegerField(_("computed level"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("star level"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    district_reviewed_by = acting_user(blank=True)
    published_by = acting_user(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("star rating")
        indexes = [models.Index(fields=["status", "level"], name="rating_status_level")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.get_status_display()}"


class ItemScore(models.Model):
    """The evaluator's score of one item, with notes and the number of photos taken."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(RatingItem, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    photos = models.PositiveSmallIntegerField(_("photos"), default=0)
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rating", "item"], name="item_score_once")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.points}"


class RatingEvent(models.Model):
    """A change to a published level (published, lowered, suspended) and its reason."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="events")
    change = models.CharField(max_length=12, choices=RatingChange.choices)
    level_before = models.PositiveSmallIntegerField(null=True)
    level_after = models.PositiveSmallIntegerField(null=True)
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    actor = acting_user()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.change} {self.level_before}->{self.level_after}"


class ChecklistTemplate(BaseModel):
    """The checklist of one inspection kind, as data (items the inspector answers)."""

    kind = models.CharField(_("kind"), max_length=12, choices=InspectionKind.choices)
    version = models.CharField(_("version"), max_length=20)
    items = models.JSONField(default=list)  # [{"code", "text"}]
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="checklist_kind_version")
        ]


class InspectionPlan(BaseModel):
    """A district's yearly plan of safety inspections."""

    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    division_code = scope_code(db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    per_kind = models.PositiveSmallIntegerField(_("inspections per kind and institution"))

    class Meta:
        ordering = ["-year", "division_code"]
        constraints = [
            models.UniqueConstraint(fields=["division", "year"], name="inspection_plan_once")
        ]


class Inspection(BaseModel):
    plan = optional_link(InspectionPlan, related_name="inspections")
    organisation = _institution_link("inspections")
    division_code = scope_code(db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=InspectionKind.choices)
    due_on = models.DateField(_("due by"))
    status = status_field(InspectionStatus.PLANNED, max_length=10)
    result = models.CharField(
        _("result"), max_length=8, choices=InspectionResult.choices, blank=True
    )
    done_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    inspector = acting_user(blank=True)
    checklist = optional_link(ChecklistTemplate)
    answers = models.JSONField(default=dict, blank=True)  # {item code: true/false}
    lat = optional_coordinate()
    lng = optional_coordinate()
    photos = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["kind", "status"], name="inspection_kind_status")]


class Finding(BaseModel):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    text = models.CharField(_("finding"), max_length=1000)

    class Meta:
        ordering = ["id"]


class Rectification(BaseModel):
    """The order to put a finding right, the provider's response and its closure."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="rectification")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    division_code = scope_code(db_index=True)
    deadline = models.DateField(_("deadline"))
    status = status_field(RectificationStatus.OPEN, max_length=10)
    response = models.CharField(_("response"), max_length=1000, blank=True)
    evidence = models.PositiveSmallIntegerField(_("evidence files"), default=0)
    # Why the last re-inspection found the finding not put right (the order went back open).
    reinspection_note = models.CharField(_("re-inspection note"), max_length=1000, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalation = models.PositiveSmallIntegerField(
        choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )

    class Meta:
        ordering = ["deadline", "id"]


class CalendarDay(models.Model):
    """A day that breaks the Monday-to-Friday rule: a public holiday on a weekday, or a
    weekend day worked in exchange (调休). ``uncertain`` marks a day not confirmed from the
    State Council's notice; SUPERVISION_UNCERTAIN_DAYS says whether such days count."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)
    uncertain = models.BooleanField(_("unconfirmed"), default=False)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class Complaint(BaseModel):
    """One complaint in the city's register, from any channel, with its deadlines."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=ComplaintChannel.choices)
    category = choice_field(_("category"), ComplaintCategory.SERVICE_QUALITY, max_length=20)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="supervised_complaints",
    )
    division_code = scope_code(db_index=True)
    visit = optional_link("visits.Visit")
    # What the complaint concerns, where there is one: a caregiver of the organisation, a
    # meal served by its canteen.
    caregiver = optional_link("services.Caregiver", _("caregiver"))
    meal = optional_link("meals.ServedMeal", _("meal"))
    # The id the complaint had on the family page before the register took the family
    # page's complaints over (visits.Complaint, retired): old links redirect by it.
    legacy_external_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    work_order = models.CharField(
        _("12345 work order"), max_length=40, null=True, blank=True, unique=True
    )
    text = models.CharField(_("complaint"), max_length=2000)
    status = status_field(ComplaintStatus.RECEIVED, max_length=14)
    received_at = models.DateTimeField(_("received at"))
    acknowledge_by = models.DateTimeField(_("acknowledge by"))
    answer_by = models.DateTimeField(_("answer by"))
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=2000, blank=True)
    assigned_to = acting_user(blank=True)
    made_by = acting_user(blank=True)
    escalation = models.PositiveSmallIntegerField(
        _("escalation"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    satisfied = models.BooleanField(_("complainant satisfied"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        indexes = [models.Index(fields=["status", "answer_by"], name="complaint_status_due")]

    def __str__(self) -> str:
        return self.number


class ComplaintEvent(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=14, choices=ComplaintEventKind.choices)
    note = models.CharField(max_length=2000, blank=True)
    actor = acting_user()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


def _photo_owner(to: type[models.Model]) -> models.ForeignKey[Any, Any]:
    """The record an evidence photo belongs to (exactly one of them is set)."""
    return optional_link(to, on_delete=models.CASCADE, related_name="photo_files")


def evidence_photo_path(instance: EvidencePhoto, filename: str) -> str:
    return f"supervision/{instance.division_code[:6]}/{instance.external_id}.jpg"


class EvidencePhoto(PhotoFile):
    """A photo taken as evidence: of a rating item on site, of an inspection, or the
    provider's proof of a rectification; served only to those who may see the record it
    belongs to."""

    item_score = _photo_owner(ItemScore)
    inspection = _photo_owner(Inspection)
    rectification = _photo_owner(Rectification)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    division_code = scope_code(db_index=True)
    image = models.FileField(upload_to=evidence_photo_path)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        item_score__isnull=False,
                        inspection__isnull=True,
                        rectification__isnull=True,
                    )
                    | models.Q(
                        item_score__isnull=True,
                        inspection__isnull=False,
                        rectification__isnull=True,
                    )
                    | models.Q(
                        item_score__isnull=True,
                        inspection__isnull=True,
                        rectification__isnull=False,
                    )
                ),
                name="evidence_photo_one_owner",
            )
        ]


class EvaluationTemplate(Scheme):
    """How a provider's purchased services are evaluated each year, as data: sections of a
    kind (records sampled from the platform, satisfaction calls, document checks), each
    with its points and sample size (``schemes/evaluation-2026.json``)."""

    sections = models.JSONField(default=list)  # [{"code", "kind", "text", "max", ...}]

    class Meta(Scheme.Meta):
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="evaluation_template_version")
        ]


class ServiceEvaluation(BaseModel):
    """One provider's yearly third-party evaluation: the sample drawn from the platform,
    the evaluator's points per section, the total."""

    provider = provider_link("service_evaluations")
    division_code = scope_code(db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    template = models.ForeignKey(EvaluationTemplate, on_delete=models.PROTECT, related_name="+")
    status = status_field(EvaluationStatus.OPEN, max_length=10)
    evaluator = optional_link(USER, _("evaluator"), related_name="assigned_evaluations")
    # {"records": [visit external ids], "calls": [visit external ids]}: drawn at creation.
    sample = models.JSONField(default=dict, blank=True)
    scores = models.JSONField(default=dict, blank=True)  # {section code: "points"}
    notes = models.JSONField(default=dict, blank=True)  # {section code: note}
    total = models.DecimalField(_("total"), null=True, blank=True, max_digits=7, decimal_places=2)
    max_total = models.DecimalField(_("maximum points"), max_digits=7, decimal_places=2)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "division_code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "year"], name="service_evaluation_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.year}"
