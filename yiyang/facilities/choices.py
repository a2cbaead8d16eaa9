"""Fixed vocabularies of the facility network: the kinds the texts count, a facility's
status, how a walking time was measured, construction milestones and planning runs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import RunStatus


class FacilityKind(models.TextChoices):
    # 敬老院 / 特困人员供养服务设施: rural care homes for the extremely poor
    RURAL_CARE_HOME = "rural_care_home", _("Rural care home (extremely poor)")
    PUBLIC_INSTITUTION = "public_institution", _("Public care institution")
    PRIVATE_INSTITUTION = "private_institution", _("Private care institution")
    STREET_CENTRE = "street_centre", _("Street comprehensive care centre")  # 街道综合养老服务中心
    REGIONAL_CENTRE = "regional_centre", _("Regional care centre (rural)")  # 区域性养老服务中心
    COMMUNITY_STATION = "community_station", _("Community care station")  # 社区养老服务站
    DAY_CARE_CENTRE = "day_care_centre", _("Day-care centre")  # 日间照料中心
    ELDERLY_CANTEEN = "elderly_canteen", _("Elderly canteen")  # 老年食堂
    MEAL_POINT = "meal_point", _("Meal point")  # 助餐点
    HAPPINESS_HOME = "happiness_home", _("Rural happiness home")  # 农村(互助)幸福院
    HEALTH_CENTRE = "health_centre", _("Community health centre or station")  # 社区卫生服务中心/站
    VILLAGE_CLINIC = "village_clinic", _("Village clinic")  # 村卫生室


# Kinds that keep beds (the others may record day places and meals).
BED_KINDS = frozenset(
    {
        FacilityKind.RURAL_CARE_HOME,
        FacilityKind.PUBLIC_INSTITUTION,
        FacilityKind.PRIVATE_INSTITUTION,
        FacilityKind.STREET_CENTRE,
        FacilityKind.REGIONAL_CENTRE,
    }
)
# Kinds that serve a single village or community when nothing else is said.
STATION_KINDS = frozenset(
    {
        FacilityKind.COMMUNITY_STATION,
        FacilityKind.HAPPINESS_HOME,
        FacilityKind.VILLAGE_CLINIC,
        FacilityKind.MEAL_POINT,
        FacilityKind.ELDERLY_CANTEEN,
    }
)


class FacilityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    OPEN = "open", _("Open")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


# Which status may follow which (one place: the page's buttons and the service's guard).
STATUS_NEXT: dict[str, tuple[str, ...]] = {
    FacilityStatus.PLANNED: (
        FacilityStatus.UNDER_CONSTRUCTION,
        FacilityStatus.OPEN,
        FacilityStatus.CLOSED,
    ),
    FacilityStatus.UNDER_CONSTRUCTION: (FacilityStatus.OPEN, FacilityStatus.CLOSED),
    FacilityStatus.OPEN: (FacilityStatus.SUSPENDED, FacilityStatus.CLOSED),
    FacilityStatus.SUSPENDED: (FacilityStatus.OPEN, FacilityStatus.CLOSED),
    FacilityStatus.CLOSED: (),
}


class ReachMethod(models.TextChoices):
    NETWORK = "network", _("Walking network")
    DETOUR = "detour", _("Straight line × detour factor")


def method_label(code: str | None) -> str:
    """How a walking time was measured, in the reader's words ("" when not known: a
    scenario that failed before measuring)."""
    return str(ReachMethod(code).label) if code in ReachMethod.values else ""


class Milestone(models.TextChoices):
    APPROVED = "approved", _("Approved")  # 立项
    STARTED = "started", _("Construction started")  # 开工
    COMPLETED = "completed", _("Completed")  # 竣工
    IN_USE = "in_use", _("In use")  # 投用


MILESTONE_ORDER = (Milestone.APPROVED, Milestone.STARTED, Milestone.COMPLETED, Milestone.IN_USE)


class FundingSource(models.TextChoices):
    CITY = "city", _("City budget")
    DISTRICT = "district", _("District budget")
    LOTTERY = "lottery", _("Welfare lottery fund")
    CENTRAL = "central", _("Central or provincial subsidy")
    SOCIAL = "social", _("Social capital")


# A planning scenario is computed in the background like the other runs.
ScenarioStatus = RunStatus


class CandidateSource(models.TextChoices):
    ORGANISATIONS = "organisations", _("Public buildings in the organisation register")
    UPLOAD = "upload", _("Uploaded points")
    GRID = "grid", _("Grid cells")


class Group(models.TextChoices):
    """Groups a coverage view or a plan may weight (the registry's tags)."""

    ALL = "all", _("All elders")
    VERY_OLD = "very_old", _("Very old (80+)")
    LIVING_ALONE = "living_alone", _("Living alone")
    DISABLED = "disabled", _("Disabled")


# Organisation kinds that are facilities elders use (the others are offices and companies).
ORGANISATION_FACILITY_KINDS = frozenset(
    {
        "care_institution",
        "community_station",
        "day_care_centre",
        "elderly_canteen",
        "health_centre",
        "village_clinic",
    }
)
STATUS_FROM_ORGANISATION = {
    "pending": FacilityStatus.PLANNED,
    "active": FacilityStatus.OPEN,
    "suspended": FacilityStatus.SUSPENDED,
    "closed": FacilityStatus.CLOSED,
}


def facility_kind_for(*, organisation_kind: str, ownership: str, name: str) -> str | None:
    """The facility kind of an existing organisation (the data migration and adopting
    organisations registered later): care institutions split by ownership, and a public
    institution named 敬老院 or 供养 is a rural care home for the extremely poor."""
    if organisation_kind == "care_institution":
        if "敬老院" in name or "供养" in name:
            return FacilityKind.RURAL_CARE_HOME
        if ownership == "private":
            return FacilityKind.PRIVATE_INSTITUTION
        return FacilityKind.PUBLIC_INSTITUTION
    if organisation_kind == "community_station":
        return FacilityKind.COMMUNITY_STATION
    if organisation_kind == "day_care_centre":
        return FacilityKind.DAY_CARE_CENTRE
    if organisation_kind == "elderly_canteen":
        return FacilityKind.ELDERLY_CANTEEN
    if organisation_kind == "health_centre":
        return FacilityKind.HEALTH_CENTRE
    if organisation_kind == "village_clinic":
        return FacilityKind.VILLAGE_CLINIC
    return None
