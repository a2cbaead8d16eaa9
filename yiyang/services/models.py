"""The city's service list, what each provider offers where, and the caregivers who deliver it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import choice_field, optional_coordinate, status_field
from yiyang.core.models import BaseModel, Division, DivisionArea
from yiyang.organisations.models import Organisation, provider_link
from yiyang.services.choices import (
    CaregiverStatus,
    Qualification,
    ServiceCategory,
    ServiceUnit,
    TravelMode,
)

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable


class ServiceItem(BaseModel):
    """One line of a city's service list (服务清单), second level under a category."""

    city = models.ForeignKey(
        Division, verbose_name=_("city"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("category"), max_length=16, choices=ServiceCategory.choices)
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=ServiceUnit.choices)
    standard_minutes = models.PositiveIntegerField(_("standard duration (minutes)"))
    standard_price = models.DecimalField(_("standard price (yuan)"), max_digits=8, decimal_places=2)
    required_qualification = models.CharField(
        _("required qualification"), max_length=24, choices=Qualification.choices, blank=True
    )
    required_skill = models.CharField(_("required skill"), max_length=24, blank=True)
    checklist = models.JSONField(_("checklist of tasks"), default=list, blank=True)
    two_caregivers = models.BooleanField(_("needs two caregivers"), default=False)
    is_active = models.BooleanField(_("in the list"), default=True)

    class Meta:
        ordering = ("category", "code")
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        constraints = [
            models.UniqueConstraint(fields=("city", "code"), name="service_item_code_per_city")
        ]

    def __str__(self) -> str:
        return self.name  # pages name services by their words; the code stays for files


def service_link(related_name: str) -> models.ForeignKey[ServiceItem | Combinable, ServiceItem]:
    """The service of the city's list a record is for; kept while records point at it."""
    return models.ForeignKey(
        ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name=related_name
    )


class ServiceOffering(BaseModel):
    """A provider offers an item of the list at its own price."""

    provider = provider_link("offerings")
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name="offerings"
    )
    price = models.DecimalField(_("price (yuan)"), max_digits=8, decimal_places=2)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ("item__category", "item__code")
        constraints = [
            models.UniqueConstraint(fields=("provider", "item"), name="one_offering_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.item}"


class ServiceArea(DivisionArea):
    """A division (and everything under it) a provider serves."""

    provider = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="service_areas"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("provider", "division"), name="one_area_per_division")
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.division}"


class Caregiver(BaseModel):
    """A person who delivers services for a provider."""

    SEALED_FIELDS = ("phone_ciphertext",)

    provider = provider_link("caregivers")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caregiver",
    )
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=8, blank=True)
    phone_ciphertext = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages and dialects"), default=list, blank=True)
    work_days = models.JSONField(_("working days"), default=list, blank=True)  # 0 = Monday
    work_start = models.TimeField(_("working hours from"))
    work_end = models.TimeField(_("working hours to"))
    max_minutes_per_day = models.PositiveIntegerField(
        _("most minutes of visits a day"), default=480
    )
    home_lat = optional_coordinate(_("home base latitude"))
    home_lng = optional_coordinate(_("home base longitude"))
    travel_mode = choice_field(_("travel mode"), TravelMode.BICYCLE, max_length=8)
    status = status_field(CaregiverStatus.ACTIVE, max_length=10)

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("caregiver")
        verbose_name_plural = _("caregivers")
        indexes = [models.Index(fields=("provider", "status"), name="caregiver_provider_status")]

    def __str__(self) -> str:
        return self.name


class Certificate(BaseModel):
    """A qualification a caregiver holds, with its expiry date."""

    caregiver = models.ForeignKey(
        Caregiver,
        verbose_name=_("caregiver"),
        on_delete=models.CASCADE,
        related_name="certificates",
    )
    qualification = models.CharField(
        _("qualification"), max_length=24, choices=Qualification.choices
    )
    number = models.CharField(_("certificate number"), max_length=40, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ("qualification", "-expires_on")
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return f"{self.get_qualification_display()} {self.number}"
