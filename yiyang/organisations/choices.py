from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrganisationKind(models.TextChoices):
    CIVIL_AFFAIRS_BUREAU = "civil_affairs_bureau", _("Civil-affairs bureau")
    STREET_OFFICE = "street_office", _("Street office")
    COMMUNITY_COMMITTEE = "community_committee", _("Community committee")
    CARE_INSTITUTION = "care_institution", _("Care institution")
    COMMUNITY_STATION = "community_station", _("Community care station")
    DAY_CARE_CENTRE = "day_care_centre", _("Day-care centre")
    ELDERLY_CANTEEN = "elderly_canteen", _("Elderly canteen")
    HOME_CARE_COMPANY = "home_care_company", _("Home-care company")
    THIRD_PARTY_OPERATOR = "third_party_operator", _("Third-party operator")
    # The health facilities care is combined with (医养结合): 社区卫生服务中心/站 in towns and
    # 乡镇卫生院 in townships; 村卫生室 in villages. Doctors and nurses reach elders at home,
    # in day-care and in care homes from them, so they count for reach and coverage.
    HEALTH_CENTRE = "health_centre", _("Community or township health centre")
    VILLAGE_CLINIC = "village_clinic", _("Village clinic")


GOVERNMENT_KINDS = frozenset(
    {
        OrganisationKind.CIVIL_AFFAIRS_BUREAU,
        OrganisationKind.STREET_OFFICE,
        OrganisationKind.COMMUNITY_COMMITTEE,
    }
)
PROVIDER_KINDS = frozenset(set(OrganisationKind) - GOVERNMENT_KINDS)
# Facilities that a third-party operator may run on another's behalf.
OPERABLE_KINDS = frozenset(
    {
        OrganisationKind.COMMUNITY_STATION,
        OrganisationKind.DAY_CARE_CENTRE,
        OrganisationKind.ELDERLY_CANTEEN,
        OrganisationKind.CARE_INSTITUTION,
    }
)


class Ownership(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class OrganisationStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    ACTIVE = "active", pgettext_lazy("organisation status", "Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
