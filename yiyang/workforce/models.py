"""The city's caregiver roster: people, their employment history, training, contests and
post subsidies.

A ``Person`` is one human being (one record per ID number in the city); an ``Employment``
is that person's time at one provider and points one-to-one at the ``services.Caregiver``
row that dispatch and the optimiser already use. A move to another employer ends one
employment and starts another; the person, and so the history, stays. Certificates stay in
``services.Certificate`` (dispatch reads them); training adds who issued them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import RuleInForce, optional_link, status_field
from yiyang.core.models import BaseModel, Division
from yiyang.organisations.models import Organisation
from yiyang.services.choices import Qualification
from yiyang.services.models import Caregiver, Certificate
from yiyang.workforce.choices import (
    Education,
    EnrolmentStatus,
    LeaveReason,
    OrganiserKind,
    SkillLevel,
    SubsidyKind,
)


class Person(BaseModel):
    """One caregiver (养老护理员) of the city, whoever employs them."""

    SEALED_FIELDS = ("id_number_ciphertext",)

    city = models.ForeignKey(
        Division, verbose_name=_("city"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50, db_index=True)
    sex = models.CharField(_("sex"), max_length=8, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # Null for caregivers registered before the roster (no ID number was asked then).
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_number_ciphertext = models.TextField(blank=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    education = models.CharField(
        _("education"), max_length=12, choices=Education.choices, blank=True
    )
    skill_level = models.CharField(
        _("skill level"), max_length=1, choices=SkillLevel.choices, blank=True, db_index=True
    )
    skill_level_on = models.DateField(_("skill level certified on"), null=True, blank=True)
    health_certificate_expires_on = models.DateField(
        _("health certificate valid until"), null=True, blank=True
    )

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("caregiver (roster)")
        verbose_name_plural = _("caregivers (roster)")

    def __str__(self) -> str:
        return self.name


class Employment(BaseModel):
    """A person's time at one provider; open while ``left_on`` is empty."""

    person = models.ForeignKey(
        Person,
        verbose_name=_("caregiver"),
        on_delete=models.PROTECT,
        related_name="employments",
    )
    provider = models.ForeignKey(
        Organisation, verbose_name=_("employer"), on_delete=models.PROTECT, related_name="+"
    )
    caregiver = models.OneToOneField(
        Caregiver,
        verbose_name=_("dispatch profile"),
        on_delete=models.PROTECT,
        related_name="employment",
    )
    hired_on = models.DateField(_("hired on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    leave_reason = models.CharField(
        _("reason for leaving"), max_length=16, choices=LeaveReason.choices, blank=True
    )

    class Meta:
        ordering = ("-hired_on", "id")
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        indexes = [
            models.Index(fields=("provider", "left_on"), name="employment_provider_left"),
            models.Index(fields=("hired_on", "left_on"), name="employment_dates"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("hired_on")),
                name="employment_leaves_after_hire",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.provider}"


class RosterConflict(BaseModel):
    """A person found on two providers' rosters at once: shown to both, never merged."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="conflicts")
    holder = models.ForeignKey(
        Organisation,
        verbose_name=_("current employer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    claimant = models.ForeignKey(
        Organisation,
        verbose_name=_("provider claiming"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    resolved = models.BooleanField(_("resolved"), default=False)

    class Meta:
        ordering = ("-created_at",)


class CertificateIssue(models.Model):
    """Who issued a certificate of ``services.Certificate``, and the training behind it."""

    certificate = models.OneToOneField(Certificate, on_delete=models.CASCADE, related_name="issue")
    issuer = models.CharField(_("issuer"), max_length=100, blank=True)
    enrolment = optional_link("Enrolment", on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return self.issuer


class Course(BaseModel):
    """A training course (by the city, a district, a provider or a school)."""

    city = models.ForeignKey(
        Division, verbose_name=_("city"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    organiser_kind = models.CharField(
        _("organised by"), max_length=10, choices=OrganiserKind.choices
    )
    organiser = optional_link(Organisation, _("organiser"))
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    theory_hours = models.DecimalField(_("theory hours"), max_digits=5, decimal_places=1)
    practice_hours = models.DecimalField(_("practice hours"), max_digits=5, decimal_places=1)
    target_level = models.CharField(
        _("prepares for level"), max_length=1, choices=SkillLevel.choices, blank=True
    )
    qualification = models.CharField(
        _("certificate issued"), max_length=24, choices=Qualification.choices, blank=True
    )
    certificate_valid_months = models.PositiveIntegerField(
        _("certificate valid for (months)"), null=True, blank=True
    )

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.name

    @property
    def hours(self) -> object:
        return self.theory_hours + self.practice_hours


class TrainingSession(BaseModel):
    """A course given at a time and place; attendance by scanning its QR code."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity"))
    checkin_token = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ("-starts_at", "id")
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} {self.starts_at:%Y-%m-%d}"


class Enrolment(BaseModel):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="enrolments"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments")
    provider = optional_link(Organisation, _("employer"))
    status = status_field(EnrolmentStatus.ENROLLED, max_length=10)
    attended_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    hours = models.DecimalField(_("hours credited"), max_digits=5, decimal_places=1, default=0)
    exam_score = models.DecimalField(
        _("exam score"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    certificate = optional_link(Certificate, on_delete=models.SET_NULL)

    class Meta:
        ordering = ("session", "person__name")
        constraints = [
            models.UniqueConstraint(fields=("session", "person"), name="one_enrolment_per_session")
        ]


class Contest(BaseModel):
    """A skills contest (职业技能大赛) with events and entrants."""

    city = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    held_on = models.DateField(_("held on"))
    # The events (赛项) the city declared; once there are any, an entry names one of them.
    events = models.JSONField(_("events"), default=list, blank=True)

    class Meta:
        ordering = ("-held_on", "id")

    def __str__(self) -> str:
        return self.name


class ContestEntry(BaseModel):
    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="entries")
    event = models.CharField(_("event"), max_length=100)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contest_entries")
    provider = optional_link(Organisation)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    award = models.CharField(_("award"), max_length=50, blank=True)

    class Meta:
        ordering = ("contest", "event", "rank")
        constraints = [
            models.UniqueConstraint(
                fields=("contest", "event", "person"), name="one_entry_per_event"
            )
        ]


class SubsidyRule(RuleInForce):
    """Who is entitled to a post subsidy and how much: conditions as data."""

    city = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=SubsidyKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=9, decimal_places=2)
    min_skill_level = models.CharField(
        _("at least skill level"), max_length=1, choices=SkillLevel.choices, blank=True
    )
    qualification = models.CharField(
        _("certificate required"), max_length=24, choices=Qualification.choices, blank=True
    )
    min_years_in_sector = models.PositiveIntegerField(_("years in the care sector"), default=0)
    rural_only = models.BooleanField(_("rural employers only"), default=False)

    class Meta:
        ordering = ("kind", "-amount", "id")


class SubsidyEntitlement(BaseModel):
    """One person's subsidy of one kind for one month, through one employer."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="subsidies")
    rule = models.ForeignKey(SubsidyRule, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=SubsidyKind.choices)
    month = models.DateField(_("month"))  # the first day
    amount = models.DecimalField(_("amount (yuan)"), max_digits=9, decimal_places=2)
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        ordering = ("-month", "person__name")
        constraints = [
            # The once-a-month rule: never twice for one person in one month, whatever the
            # number of employers; an entry subsidy once ever.
            models.UniqueConstraint(
                fields=("person", "kind", "month"), name="one_subsidy_per_person_month"
            ),
            models.UniqueConstraint(
                fields=("person",),
                condition=Q(kind=SubsidyKind.ENTRY),
                name="one_entry_subsidy_per_person",
            ),
        ]


class CertificateReminder(BaseModel):
    """A certificate expiring within 30 days, told to the caregiver and the employer (shown
    on the caregiver's own record and the employer's roster) once per expiry date."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reminders")
    provider = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    expires_on = models.DateField(_("expires on"))

    class Meta:
        ordering = ("expires_on", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("certificate", "expires_on"), name="one_reminder_per_expiry"
            )
        ]
