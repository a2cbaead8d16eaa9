"""Shared kernel models: the base model, administrative divisions and the audit log."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import (
    CODE_PREFIX_LENGTH,
    AuditAction,
    DivisionLevel,
    ExportFailure,
    ExportStatus,
    MapCrs,
    RoadKind,
)
from yiyang.core.clock import ClockDateTimeField
from yiyang.core.model_mixins import (
    USER,
    BackgroundJob,
    BaseModel,
    acting_user,
    division_code_field,
    optional_coordinate,
    progress_percent,
    public_id,
    status_field,
    username_copy,
)


class Division(BaseModel):
    """An administrative division: city, district/county, street/township, community/village."""

    code = division_code_field(_("division code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=DivisionLevel.choices)
    # Declared in place, not by ``optional_link``: so typed as a Division, not Any.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_urban = models.BooleanField(_("urban"), default=True)
    # Census residents (常住人口 by age, from the statistics bureau), not registered elders.
    population_60_plus = models.PositiveIntegerField(_("residents aged 60+"), default=0)
    population_65_plus = models.PositiveIntegerField(_("residents aged 65+"), default=0)
    population_80_plus = models.PositiveIntegerField(_("residents aged 80+"), default=0)
    centroid_lat = optional_coordinate(_("centroid latitude"))
    centroid_lng = optional_coordinate(_("centroid longitude"))
    # The bounding box a city's coordinates must fall in (set on the city only).
    bbox_min_lat = optional_coordinate()
    bbox_max_lat = optional_coordinate()
    bbox_min_lng = optional_coordinate()
    bbox_max_lng = optional_coordinate()

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def code_prefix(self) -> str:
        """The leading digits every division below this one shares."""
        return self.code[: CODE_PREFIX_LENGTH[self.level]]

    @property
    def city_code_prefix(self) -> str:
        return self.code[:4]


class DivisionArea(models.Model):
    """A division and everything below it (matched by the leading digits of its code)."""

    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    code_prefix = division_code_field(editable=False)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Never edited, never pruned (key
    rotation re-encrypts the sealed member of ``changes`` and nothing else)."""

    # Health data in ``changes`` is sealed under ``_sealed`` (crypto.seal_parts).
    SEALED_JSON_FIELDS = ("changes",)

    external_id = public_id()
    at = ClockDateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = acting_user(_("actor"), blank=True)
    actor_username = username_copy(_("username"))
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    # The division the record belongs to, so audit views can be scoped by jurisdiction.
    division_code = division_code_field(blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_username", "at"]),
            models.Index(fields=["action", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_repr}"


class DivisionBoundary(BaseModel):
    """A division's outline as a GeoJSON Polygon or MultiPolygon ([longitude, latitude]),
    imported from a boundary file keyed by GB/T 2260 code or generated for the demo city."""

    division = models.OneToOneField(
        Division, verbose_name=_("division"), on_delete=models.CASCADE, related_name="boundary"
    )
    # The division's code again, so boundary reads are scoped by one indexed range.
    division_code = division_code_field(_("division code"), unique=True)
    level = models.CharField(_("level"), max_length=16, choices=DivisionLevel.choices)
    geometry = models.JSONField(_("geometry"))
    crs = models.CharField(_("coordinate system"), max_length=8, choices=MapCrs.choices)
    source = models.CharField(_("source"), max_length=255, blank=True)
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        ordering = ["division_code"]
        verbose_name = _("division boundary")
        verbose_name_plural = _("division boundaries")
        indexes = [models.Index(fields=["level", "division_code"])]

    def __str__(self) -> str:
        return self.division_code


class MapRoad(BaseModel):
    """A road of the vector basemap (drawn when no tile server is configured)."""

    # The division the road belongs to (usually the city): scoped like its boundary.
    division_code = division_code_field(_("division code"), db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=RoadKind.choices)
    geometry = models.JSONField(_("geometry"))
    crs = models.CharField(_("coordinate system"), max_length=8, choices=MapCrs.choices)

    class Meta:
        ordering = ["division_code", "kind", "name"]
        verbose_name = _("road")
        verbose_name_plural = _("roads")

    def __str__(self) -> str:
        return self.name


class ExportJob(BackgroundJob):
    """A list exported in the background (``core.exports``): who asked, which export with
    which filters, its progress and the file (encrypted at rest), kept until ``expires_at``.
    Only the user who asked may see the job or download the file."""

    created_by = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("export"), max_length=40)
    params = models.JSONField(default=dict, blank=True)
    status = status_field(ExportStatus.PENDING, max_length=16)
    failure = models.CharField(max_length=16, choices=ExportFailure.choices, blank=True)
    done_count = models.PositiveIntegerField(default=0)
    total_count = models.PositiveIntegerField(null=True, blank=True)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    file = models.FileField(upload_to="exports/", blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(BackgroundJob.Meta):
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["created_by", "created_at"])]

    def __str__(self) -> str:
        return self.filename or self.kind

    @property
    def percent(self) -> int:
        return progress_percent(
            self.done_count, self.total_count, finished=self.status == ExportStatus.DONE
        )
