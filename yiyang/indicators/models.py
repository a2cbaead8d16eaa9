"""Targets per indicator, year and division, and the monthly snapshots of every indicator."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import division_code_field, scope_code
from yiyang.core.models import BaseModel, Division
from yiyang.organisations.models import Organisation

VALUE: dict[str, Any] = {"max_digits": 20, "decimal_places": 4}


class IndicatorTarget(BaseModel):
    """What the city (or a district) aims at for one indicator in one year. Changes go
    through ``services.target_set`` and are audited (before/after)."""

    code = models.CharField(_("indicator"), max_length=64)
    year = models.PositiveSmallIntegerField(_("year"))
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    division_code = scope_code()
    value = models.DecimalField(_("target"), **VALUE)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["code", "year", "division_code"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "year", "division"], name="indicator_target_once"
            )
        ]
        indexes = [models.Index(fields=["year", "code", "division_code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.year} {self.division_code}: {self.value}"


class _Figure(models.Model):
    """A snapshot's figure: the value with the counts it was computed from."""

    code = models.CharField(max_length=64)
    month = models.DateField()  # the first day of the month
    value = models.DecimalField(null=True, **VALUE)
    numerator = models.DecimalField(null=True, **VALUE)
    denominator = models.DecimalField(null=True, **VALUE)
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True


class IndicatorSnapshot(_Figure):
    """One indicator's value for one division in one month, as computed from the records
    (taken on the 1st for the month before, refreshed nightly for the running month)."""

    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="+")
    division_code = division_code_field()
    level = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["code", "month", "division"], name="indicator_snapshot_once"
            )
        ]
        indexes = [
            # A division's trend (one code, one division, a range of months) and a level's
            # ranking (one code, one month, the children of a prefix).
            models.Index(fields=["code", "division_code", "month"], name="snapshot_code_div"),
            # A division's dashboard: every indicator of one division over the trend months.
            models.Index(fields=["division", "month"], name="snapshot_division_month"),
            models.Index(
                fields=["code", "month", "level", "division_code"], name="snapshot_code_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.month:%Y-%m} {self.division_code}: {self.value}"


class ProviderSnapshot(_Figure):
    """One indicator's value for one provider in one month (the indicators that have a
    provider form: visits delivered, on time, missed, flagged, ratings, complaints), taken
    with the divisions' snapshots. ``division_code`` is the provider's own division, which
    scopes who may read it."""

    provider = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    division_code = division_code_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["code", "month", "provider"], name="provider_snapshot_once"
            )
        ]
        indexes = [
            models.Index(fields=["code", "month", "division_code"], name="provider_snap_code"),
            models.Index(fields=["provider", "month"], name="provider_snap_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.month:%Y-%m} provider {self.provider_id}: {self.value}"
