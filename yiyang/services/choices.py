"""Fixed vocabularies of the service list and of caregivers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiyang.core import display


class ServiceCategory(models.TextChoices):
    """The first level of the city's service list (服务清单): the nine 助 services."""

    MEALS = "meals", _("Meals")
    BATHING = "bathing", _("Bathing")
    CLEANING = "cleaning", _("Cleaning")
    MEDICAL = "medical", _("Medical help and escort")
    MOBILITY = "mobility", _("Mobility and escort")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    PERSONAL_CARE = "personal_care", _("Personal care")
    COMPANIONSHIP = "companionship", _("Companionship and psychological comfort")
    EMERGENCY = "emergency", _("Emergency help")


class ServiceUnit(models.TextChoices):
    VISIT = "visit", _("per visit")
    HOUR = "hour", _("per hour")
    MEAL = "meal", _("per meal")
    SESSION = "session", _("per session")


class Qualification(models.TextChoices):
    """Certificates a service may require; each held one has a number and an expiry date."""

    ELDER_CARE_WORKER = "elder_care_worker", _("Elder-care worker certificate")
    NURSE = "nurse", _("Nurse licence")
    REHAB_THERAPIST = "rehab_therapist", _("Rehabilitation therapist")
    PSYCH_COUNSELLOR = "psych_counsellor", _("Psychological counsellor")
    DOCTOR = "doctor", _("Physician licence")
    FOOD_HANDLER = "food_handler", _("Food-handler health certificate")


class Skill(models.TextChoices):
    BATHING = "bathing", _("Assisted bathing")
    HOIST_TRANSFER = "hoist_transfer", _("Hoist and transfer")
    DEMENTIA_CARE = "dementia_care", _("Dementia care")
    WOUND_CARE = "wound_care", _("Wound and pressure-sore care")
    COOKING = "cooking", _("Cooking")
    CLEANING = "cleaning", _("Housekeeping")
    MASSAGE = "massage", _("Massage and physiotherapy")
    ESCORT = "escort", _("Escort and errands")
    COUNSELLING = "counselling", _("Listening and counselling")
    DRIVING = "driving", _("Driving")


class Language(models.TextChoices):
    MANDARIN = "mandarin", _("Mandarin")
    LOCAL_DIALECT = "local_dialect", _("Local dialect")
    CANTONESE = "cantonese", _("Cantonese")
    MINORITY = "minority", _("A minority language")
    SIGN = "sign", _("Sign language")


class CaregiverStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("caregiver status", "Active")
    ON_LEAVE = "on_leave", _("On leave")
    LEFT = "left", _("Left")


class TravelMode(models.TextChoices):
    WALK = "walk", _("On foot")
    BICYCLE = "bicycle", _("Bicycle or e-bike")
    CAR = "car", _("Car")
    TRANSIT = "transit", _("Public transport")


# Caregivers store skills and languages as JSON lists of codes: pages name them by these lists.
display.register_codes("skills", Skill)
display.register_codes("languages", Language)
display.register_codes("required_skill", Skill)
