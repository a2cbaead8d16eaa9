from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import Located, optional_link, status_field
from yiyang.core.models import BaseModel, Division
from yiyang.organisations.choices import OrganisationKind, OrganisationStatus, Ownership

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable


class Organisation(BaseModel, Located):
    """A government office or a provider, placed in a division."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    ownership = models.CharField(
        _("ownership"), max_length=16, choices=Ownership.choices, blank=True
    )
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="organisations"
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=64, blank=True)
    status = status_field(OrganisationStatus.ACTIVE, max_length=16)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Care institutions only (床位: total, nursing-type 护理型, occupied).
    total_beds = models.PositiveIntegerField(_("total beds"), null=True, blank=True)
    nursing_beds = models.PositiveIntegerField(_("nursing-type beds"), null=True, blank=True)
    occupied_beds = models.PositiveIntegerField(_("occupied beds"), null=True, blank=True)
    # A third-party operator running this facility on the owner's behalf (连锁运营).
    operator = optional_link("self", _("operated by"), related_name="operated")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["kind", "name"]),
            models.Index(fields=["status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["licence_number"],
                condition=~models.Q(licence_number=""),
                name="organisation_licence_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(occupied_beds__lte=models.F("total_beds"))
                | models.Q(occupied_beds__isnull=True),
                name="organisation_occupied_le_total",
            ),
            models.CheckConstraint(
                condition=models.Q(nursing_beds__lte=models.F("total_beds"))
                | models.Q(nursing_beds__isnull=True),
                name="organisation_nursing_le_total",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def provider_link(related_name: str) -> models.ForeignKey[Organisation | Combinable, Organisation]:
    """The provider (an organisation) a record belongs to; kept while records point at it."""
    return models.ForeignKey(
        Organisation,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name=related_name,
    )
