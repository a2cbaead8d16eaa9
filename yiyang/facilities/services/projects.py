"""Construction projects: 立项 -> 开工 -> 竣工 -> 投用."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record, diff, snapshot
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.facilities.choices import (
    MILESTONE_ORDER,
    FacilityKind,
    FacilityStatus,
    FundingSource,
    Milestone,
)
from yiyang.facilities.models import (
    ConstructionProject,
    Facility,
    PlanScenario,
)
from yiyang.facilities.services.facilities import facility_status_set

# --- construction projects -----------------------------------------------------------------

MILESTONE_FIELD = {
    Milestone.APPROVED: "approved_on",
    Milestone.STARTED: "started_on",
    Milestone.COMPLETED: "completed_on",
    Milestone.IN_USE: "in_use_on",
}
PROJECT_FIELDS = (
    "year",
    "budget",
    "funding_source",
    "approved_on",
    "started_on",
    "completed_on",
    "in_use_on",
    "beds_added",
    "places_added",
)


def next_milestone(project: ConstructionProject) -> str | None:
    """The milestone a project reaches next (one place: page buttons and the guard)."""
    for milestone in MILESTONE_ORDER:
        if getattr(project, MILESTONE_FIELD[milestone]) is None:
            return str(milestone)
    return None


@transaction.atomic
def project_start(
    *,
    actor: Actor,
    facility: Facility,
    year: int,
    budget: Decimal,
    funding_source: str,
    approved_on: datetime.date,
    beds_added: int = 0,
    places_added: int = 0,
    scenario: PlanScenario | None = None,
) -> ConstructionProject:
    """Approve (立项) building a planned facility."""
    require_perm(actor, Permission.MANAGE_PROJECTS)
    errors: dict[str, str] = {}
    if facility.status != FacilityStatus.PLANNED:
        errors["facility"] = _("Only a planned facility gets a construction project.")
    if not actor.scope.covers(
        division_code=facility.division_code, organisation_id=facility.organisation_id
    ):
        errors["facility"] = _("This facility lies outside your jurisdiction.")
    if budget is None or Decimal(budget) < 0:
        errors["budget"] = _("Give the budget (0 or more).")
    if funding_source not in FundingSource.values:
        errors["funding_source"] = _("Choose a funding source.")
    if not 2000 <= int(year) <= 2100:
        errors["year"] = _("Give a year between 2000 and 2100.")
    if beds_added < 0 or places_added < 0:
        errors["beds_added"] = _("A capacity cannot be negative.")
    if errors:
        raise ValidationError(errors)
    project = ConstructionProject.objects.create(
        facility=facility,
        division_code=facility.division_code,
        year=year,
        budget=budget,
        funding_source=funding_source,
        approved_on=approved_on,
        beds_added=beds_added,
        places_added=places_added,
        scenario=scenario,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=project,
        division_code=project.division_code,
        changes={k: [None, v] for k, v in snapshot(project, PROJECT_FIELDS).items()},
    )
    return project


@transaction.atomic
def project_milestone(
    *, actor: Actor, project: ConstructionProject, milestone: str, on: datetime.date
) -> ConstructionProject:
    """Record the next milestone (开工, 竣工, 投用) on its date; starting construction and
    putting into use move the facility's status too."""
    require_perm(actor, Permission.MANAGE_PROJECTS)
    expected = next_milestone(project)
    if milestone != expected:
        raise ValidationError(
            {
                "milestone": _("The next milestone is %(m)s.")
                % {"m": Milestone(expected).label if expected else _("none (the project is done)")}
            }
        )
    previous = [getattr(project, MILESTONE_FIELD[m]) for m in MILESTONE_ORDER]
    last = max(d for d in previous if d is not None)
    if on < last:
        raise ValidationError(
            {"on": _("A milestone cannot come before the one before it (%(d)s).") % {"d": last}}
        )
    if on > timezone.localdate():
        raise ValidationError({"on": _("This date lies in the future.")})
    before = snapshot(project, PROJECT_FIELDS)
    setattr(project, MILESTONE_FIELD[Milestone(milestone)], on)
    project.save()
    facility = project.facility
    if milestone == Milestone.STARTED and facility.status == FacilityStatus.PLANNED:
        facility_status_set(
            actor=actor, facility=facility, status=FacilityStatus.UNDER_CONSTRUCTION, on=on
        )
    if milestone == Milestone.IN_USE and facility.status in (
        FacilityStatus.PLANNED,
        FacilityStatus.UNDER_CONSTRUCTION,
    ):
        if facility.status == FacilityStatus.PLANNED:
            facility_status_set(
                actor=actor,
                facility=facility,
                status=FacilityStatus.UNDER_CONSTRUCTION,
                on=project.started_on or on,
            )
        facility_status_set(actor=actor, facility=facility, status=FacilityStatus.OPEN, on=on)
        if project.beds_added and facility.kind in (
            FacilityKind.RURAL_CARE_HOME,
            FacilityKind.PUBLIC_INSTITUTION,
            FacilityKind.PRIVATE_INSTITUTION,
        ):
            facility.beds = (facility.beds or 0) + project.beds_added
            facility.save(update_fields=["beds", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=project,
        division_code=project.division_code,
        changes=diff(before, snapshot(project, PROJECT_FIELDS)),
    )
    return project
