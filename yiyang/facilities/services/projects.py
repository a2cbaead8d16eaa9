"""Construction projects: 立项 -> 开工 -> 竣工 -> 投用."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record, created, diff, snapshot
from yiyang.core.choices import AuditAction
from yiyang.core.images import photo_normalise
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.core.validation import year_errors
from yiyang.facilities.choices import (
    MILESTONE_ORDER,
    FacilityKind,
    FacilityStatus,
    FundingSource,
    Milestone,
)
from yiyang.facilities.models import (
    ConstructionProject,
    ConstructionTarget,
    Facility,
    PlanScenario,
    ProjectPhoto,
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
    year_errors(year, errors)
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
        changes=created(project, PROJECT_FIELDS),
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


# --- the year's construction targets -------------------------------------------------------

TARGET_FIELDS = ("facilities", "beds")
# Targets are set for the current year, the years before it (to correct) and a few ahead.
TARGET_YEARS_BACK, TARGET_YEARS_AHEAD = 5, 5


def _target_errors(
    actor: Actor, division: Division, year: Any, kind: str, facilities: Any, beds: Any
) -> dict[str, str]:
    errors: dict[str, str] = {}
    this_year = timezone.localdate().year
    if not isinstance(year, int) or not (
        this_year - TARGET_YEARS_BACK <= year <= this_year + TARGET_YEARS_AHEAD
    ):
        errors["year"] = _("Give a year from %(first)s to %(last)s.") % {
            "first": this_year - TARGET_YEARS_BACK,
            "last": this_year + TARGET_YEARS_AHEAD,
        }
    if kind not in FacilityKind.values:
        errors["kind"] = _("Choose the kind of facility.")
    for name, value in (("facilities", facilities), ("beds", beds)):
        if not isinstance(value, int) or value < 0:
            errors[name] = _("Give a whole number, 0 or more.")
    if division.level not in ("city", "district") or not actor.scope.covers_division_code(
        division.code
    ):
        errors["division"] = _("Targets are set for the city or a district of your jurisdiction.")
    return errors


@transaction.atomic
def construction_target_set(
    *, actor: Actor, division: Division, year: Any, kind: str, facilities: Any, beds: Any
) -> ConstructionTarget | None:
    """Set (or change) a year's target of new facilities of one kind, and the beds they add,
    for the city or a district. Both 0 removes the target. Audited before and after."""
    require_perm(actor, Permission.MANAGE_PROJECTS)
    errors = _target_errors(actor, division, year, kind, facilities, beds)
    if errors:
        raise ValidationError(errors)
    target = (
        ConstructionTarget.objects.select_for_update()
        .filter(division=division, year=year, kind=kind)
        .first()
    )
    before = snapshot(target, TARGET_FIELDS) if target else dict.fromkeys(TARGET_FIELDS)
    if facilities == 0 and beds == 0:
        if target is not None:
            target.delete()
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                object_type="facilities.constructiontarget",
                object_repr=f"{year} {kind} {division.code}",
                division_code=division.code,
                changes=diff(before, dict.fromkeys(TARGET_FIELDS)),
            )
        return None
    created = target is None
    if target is None:
        target = ConstructionTarget(division=division, year=year, kind=kind)
    target.facilities, target.beds = facilities, beds
    target.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=target,
        object_repr=f"{year} {kind} {division.code}",
        division_code=division.code,
        changes=diff(before, snapshot(target, TARGET_FIELDS)),
    )
    return target


# --- milestone photos -------------------------------------------------------------------

PHOTOS_PER_MILESTONE = 10


@transaction.atomic
def project_photo_add(
    *, actor: Actor, project: ConstructionProject, milestone: str, data: bytes, caption: str = ""
) -> ProjectPhoto:
    """A photo of a milestone the project has reached (a site visit's evidence for the
    city's construction targets): a real image under the size limit, stored as JPEG."""
    require_perm(actor, Permission.MANAGE_PROJECTS)
    if not actor.scope.covers_division_code(project.division_code):
        raise ValidationError({"project": _("This project lies outside your jurisdiction.")})
    project = ConstructionProject.objects.select_for_update().get(pk=project.pk)
    if milestone not in Milestone.values:
        raise ValidationError({"milestone": _("Choose a milestone.")})
    if getattr(project, MILESTONE_FIELD[Milestone(milestone)]) is None:
        raise ValidationError(
            {
                "milestone": _("The project has not reached “%(milestone)s” yet.")
                % {"milestone": Milestone(milestone).label}
            }
        )
    photo = photo_normalise(data, max_bytes=settings.VISIT_PHOTO_MAX_BYTES)
    if project.photos.filter(milestone=milestone).count() >= PHOTOS_PER_MILESTONE:
        raise ValidationError(
            {"photo": _("A milestone keeps at most %(n)d photos.") % {"n": PHOTOS_PER_MILESTONE}}
        )
    row = ProjectPhoto(
        project=project,
        milestone=milestone,
        size_bytes=len(photo.data),
        width=photo.width,
        height=photo.height,
        caption=str(caption or "").strip()[:200],
        uploaded_by=actor_user(actor),
    )
    row.image.save("photo.jpg", ContentFile(photo.data), save=False)
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=project,
        object_type="facilities.projectphoto",
        division_code=project.division_code,
        changes={"milestone": milestone, "photo": str(row.external_id)},
    )
    return row
