"""The facility network: facilities (a one-to-one extension of an organisation, so every
existing link and its history stay), the walking network, each elder's reach, planning
scenarios and construction projects."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import (
    PhotoFile,
    acting_user,
    division_code_field,
    optional_link,
    scope_code,
    status_field,
)
from yiyang.core.models import BaseModel, Division
from yiyang.elders.models import Elder
from yiyang.facilities.choices import (
    CandidateSource,
    FacilityKind,
    FacilityStatus,
    FundingSource,
    Milestone,
    ReachMethod,
    ScenarioStatus,
)
from yiyang.organisations.models import Organisation


class Facility(BaseModel):
    """A place elders use: what it is, where it stands in its life, what it holds and whom
    it serves. Name, place, owner, operator and licence stay on the organisation."""

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="facility",
    )
    kind = models.CharField(_("facility kind"), max_length=24, choices=FacilityKind.choices)
    status = status_field(FacilityStatus.OPEN, max_length=20)
    division_code = scope_code(db_index=True)  # the organisation's
    planned_on = models.DateField(_("planned on"), null=True, blank=True)
    construction_started_on = models.DateField(_("construction started on"), null=True, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    beds = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    day_places = models.PositiveIntegerField(_("day-care places"), null=True, blank=True)
    meals_per_day = models.PositiveIntegerField(_("meals a day"), null=True, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=120, blank=True)
    # The communities and villages it serves (a rural centre serves several); the coverage
    # rules (a station in every community, a day-care centre in every street) read this.
    service_area = models.ManyToManyField(
        Division, verbose_name=_("service area"), related_name="served_by", blank=True
    )

    class Meta:
        ordering = ["division_code", "kind", "id"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        indexes = [models.Index(fields=["kind", "status"], name="facility_kind_status")]

    def __str__(self) -> str:
        return self.organisation.name


class RoadNetwork(BaseModel):
    """A walking network of a city, kept as arrays (node coordinates, edges and their
    lengths, a NumPy ``.npz``). Only one per city is active; importing a new one replaces
    it only once the new one is read and checked."""

    city = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=40)  # "osm" or "synthetic"
    active = models.BooleanField(_("active"), default=True)
    nodes = models.PositiveIntegerField(_("nodes"))
    edges = models.PositiveIntegerField(_("edges"))
    data = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("walking network")
        verbose_name_plural = _("walking networks")

    def __str__(self) -> str:
        return self.name


class ElderReach(models.Model):
    """The walking time from an elder's home to the nearest open facility of one kind,
    and how it was measured. Rewritten in bulk by ``compute-coverage``."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=FacilityKind.choices)
    division_code = division_code_field()
    # None: no open facility of the kind within REACH_MAX_MINUTES
    minutes = models.FloatField(null=True)
    method = models.CharField(max_length=8, choices=ReachMethod.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["elder", "kind"], name="elderreach_elder_kind")
        ]
        indexes = [models.Index(fields=["kind", "division_code"], name="elderreach_kind_div")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.minutes}"


class CoverageRun(BaseModel):
    """One computation of reach: when, over which part of the city, by which method, and
    the elders it could not place (no coordinates)."""

    division_code = division_code_field()
    method = models.CharField(max_length=8, choices=ReachMethod.choices)
    network = optional_link(RoadNetwork, on_delete=models.SET_NULL)
    elders = models.PositiveIntegerField(default=0)
    without_coordinates = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    walking_speed_kmh = models.FloatField()
    circle_minutes = models.FloatField()
    detour_factor = models.FloatField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.division_code} {self.method}"


class PlanScenario(BaseModel):
    """ "Where to build next": the question (kind, k or budget, candidates, weights), the
    background run's progress, and its answer (``result``: the exact and the greedy
    choice with marginal gains, the gap)."""

    name = models.CharField(_("name"), max_length=120, blank=True)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("facility kind"), max_length=24, choices=FacilityKind.choices)
    sites = models.PositiveSmallIntegerField(_("new sites"), null=True, blank=True)
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    cost_per_site = models.DecimalField(
        _("cost per site (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    candidate_source = models.CharField(
        _("candidate sites"), max_length=16, choices=CandidateSource.choices
    )
    # uploaded or chosen candidates: [{"name", "lat", "lng", "organisation"?}]
    candidates = models.JSONField(default=list, blank=True)
    weights = models.JSONField(_("weights"), default=dict, blank=True)
    status = status_field(ScenarioStatus.QUEUED, max_length=10)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    saved = models.BooleanField(_("saved"), default=False)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_by = acting_user()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("planning scenario")
        verbose_name_plural = _("planning scenarios")

    def __str__(self) -> str:
        return self.name or str(self.external_id)[:8]


class ConstructionProject(BaseModel):
    """Building a planned facility: 立项 -> 开工 -> 竣工 -> 投用 with dates, its budget and
    funding, and the beds or places it adds."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="projects"
    )
    division_code = scope_code(db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    funding_source = models.CharField(
        _("funding source"), max_length=16, choices=FundingSource.choices
    )
    approved_on = models.DateField(_("approved on"))
    started_on = models.DateField(_("construction started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    in_use_on = models.DateField(_("in use since"), null=True, blank=True)
    beds_added = models.PositiveIntegerField(_("beds added"), default=0)
    places_added = models.PositiveIntegerField(_("places added"), default=0)
    scenario = optional_link(PlanScenario, on_delete=models.SET_NULL, related_name="projects")

    class Meta:
        ordering = ["-year", "division_code", "id"]
        verbose_name = _("construction project")
        verbose_name_plural = _("construction projects")

    def __str__(self) -> str:
        return f"{self.year} {self.facility}"


class ConstructionTarget(BaseModel):
    """A year's target for a part of the city (e.g. 50 new canteens, 500 new beds)."""

    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("facility kind"), max_length=24, choices=FacilityKind.choices)
    facilities = models.PositiveIntegerField(_("new facilities"), default=0)
    beds = models.PositiveIntegerField(_("new beds"), default=0)

    class Meta:
        ordering = ["year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "year", "kind"], name="constructiontarget_unique"
            )
        ]


def project_photo_path(instance: ProjectPhoto, filename: str) -> str:
    return f"facilities/projects/{instance.project.year}/{instance.external_id}.jpg"


class ProjectPhoto(PhotoFile):
    """A photo of a construction project at one of its milestones (立项, 开工, 竣工, 投用)."""

    project = models.ForeignKey(
        ConstructionProject, on_delete=models.CASCADE, related_name="photos"
    )
    milestone = models.CharField(_("milestone"), max_length=16, choices=Milestone.choices)
    image = models.FileField(upload_to=project_photo_path)
    caption = models.CharField(_("caption"), max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.project} {self.milestone}"
