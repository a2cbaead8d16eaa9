"""The facilities app owns the facility network: what each facility is and where it stands
in its life (planned -> under construction -> open -> suspended -> closed), what it holds,
whom it serves; the walking network; every elder's reach to the nearest open facility of
each kind; construction projects.

A facility extends an organisation one-to-one: name, place, owner, operator and licence
stay on the organisation (and its history), the facility adds the rest.
"""

from yiyang.facilities.services.facilities import (
    DATE_OF_STATUS,
    FACILITY_FIELDS,
    allowed_statuses,
    facilities_adopt,
    facility_register,
    facility_status_set,
    facility_update,
    service_area_errors,
)
from yiyang.facilities.services.network import (
    coverage_compute,
    road_network_import,
    road_network_store,
)
from yiyang.facilities.services.projects import (
    MILESTONE_FIELD,
    construction_target_set,
    next_milestone,
    project_milestone,
    project_photo_add,
    project_start,
)

__all__ = [
    "DATE_OF_STATUS",
    "FACILITY_FIELDS",
    "MILESTONE_FIELD",
    "allowed_statuses",
    "construction_target_set",
    "coverage_compute",
    "facilities_adopt",
    "facility_register",
    "facility_status_set",
    "facility_update",
    "next_milestone",
    "project_milestone",
    "project_photo_add",
    "project_start",
    "road_network_import",
    "road_network_store",
    "service_area_errors",
]
