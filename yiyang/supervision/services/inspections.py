"""Safety inspections: the district's yearly plan (every institution inspected at least
the required number of times per kind), the on-site record with findings, rectification
orders with deadlines, the provider's response and closure on re-inspection."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.images import Photo
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.organisations.choices import OrganisationStatus
from yiyang.organisations.models import Organisation
from yiyang.supervision.choices import (
    InspectionKind,
    InspectionResult,
    InspectionStatus,
    RectificationStatus,
    Severity,
)
from yiyang.supervision.models import (
    ChecklistTemplate,
    Finding,
    Inspection,
    InspectionPlan,
    Rectification,
)
from yiyang.supervision.selectors import calendar_overrides
from yiyang.supervision.services.common import audit, audit_update, require_in_scope
from yiyang.supervision.services.photos import photos_checked, photos_store
from yiyang.supervision.workdays import add_working_days


def due_dates(year: int, count: int) -> list[datetime.date]:
    """``count`` due dates spread over the year: the last day of months 12/count, 2*12/count
    ... (two a year: 30 June and 31 December)."""
    dates = []
    for n in range(1, count + 1):
        month = max(1, min(12, round(12 * n / count)))
        dates.append(datetime.date(year, month, calendar.monthrange(year, month)[1]))
    return dates


@transaction.atomic
def inspection_plan_generate(
    *, actor: Actor, district: Division, year: int, per_kind: int | None = None
) -> InspectionPlan:
    """Create or top up a district's plan so that every active institution of the inspected
    kinds has at least ``per_kind`` inspections of every kind in the year (planned or done);
    running it again adds only what is missing (an institution registered since)."""
    require_perm(actor, Permission.PLAN_INSPECTIONS)
    if district.level != DivisionLevel.DISTRICT:
        raise ValidationError({"division": _("A plan is made for a district or county.")})
    require_in_scope(actor, division_code=district.code, organisation_id=None)
    per_kind = settings.SUPERVISION_INSPECTIONS_PER_KIND if per_kind is None else int(per_kind)
    if per_kind < 1 or per_kind > 12:
        raise ValidationError({"per_kind": _("Give 1 to 12 inspections per kind.")})
    plan, _created = InspectionPlan.objects.get_or_create(
        division=district,
        year=year,
        defaults={"division_code": district.code, "per_kind": per_kind},
    )
    if plan.per_kind != per_kind:
        plan.per_kind = per_kind
        plan.save(update_fields=["per_kind", "updated_at"])
    organisations = list(
        Organisation.objects.filter(
            prefix_q("division__code", district.code_prefix),
            kind__in=settings.SUPERVISION_INSPECTED_KINDS,
            status=OrganisationStatus.ACTIVE,
        ).select_related("division")
    )
    existing = {
        (row["organisation_id"], row["kind"]): row["n"]
        for row in Inspection.objects.filter(
            organisation__in=organisations,
            due_on__year=year,
        )
        .exclude(status=InspectionStatus.CANCELLED)
        .values("organisation_id", "kind")
        .annotate(n=Count("pk"))
    }
    dates = due_dates(year, per_kind)
    new = []
    for organisation in organisations:
        for kind in InspectionKind.values:
            have = existing.get((organisation.pk, kind), 0)
            for due in dates[have:]:
                new.append(
                    Inspection(
                        plan=plan,
                        organisation=organisation,
                        kind=kind,
                        due_on=due,
                        division_code=organisation.division.code,
                    )
                )
    Inspection.objects.bulk_create(new)
    audit(
        actor,
        AuditAction.UPDATE,
        plan,
        district.code,
        {"year": [None, year], "per_kind": [None, per_kind], "added": [None, len(new)]},
    )
    return plan


def _require_inspector(actor: Actor, inspection: Inspection) -> None:
    require_perm(actor, Permission.INSPECT)
    require_in_scope(
        actor, division_code=inspection.division_code, organisation_id=inspection.organisation_id
    )


def _record_checked(
    inspection: Inspection,
    codes: list[str],
    answers: dict[str, Any],
    findings: list[dict[str, Any]],
    photos: Sequence[bytes],
) -> list[Photo]:
    """Everything wrong with an inspection record, at once (or the checked photos)."""
    errors: dict[str, str] = {}
    if inspection.status != InspectionStatus.PLANNED:
        errors["status"] = _("This inspection is already recorded.")
    missing = [c for c in codes if not isinstance(answers.get(c), bool)]
    if missing:
        errors["answers"] = _("Answer every checklist item: %(items)s.") % {
            "items": ", ".join(missing)
        }
    for n, finding in enumerate(findings):
        if (
            finding.get("severity") not in Severity.values
            or not str(finding.get("text", "")).strip()
        ):
            errors[f"findings[{n}]"] = _("A finding needs a severity and a description.")
    checked: list[Photo] = []
    try:
        checked = photos_checked(list(photos), field="photos")
    except ValidationError as error:
        errors.update({k: " ".join(v) for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return checked


@transaction.atomic
def inspection_record(
    *,
    actor: Actor,
    inspection: Inspection,
    answers: dict[str, Any],
    findings: list[dict[str, Any]],
    lat: Any = None,
    lng: Any = None,
    photos: Sequence[bytes] = (),
) -> Inspection:
    """Record an inspection done on site: the checklist's answers, the findings (each gets
    a rectification order due in SUPERVISION_RECTIFICATION_WORKING_DAYS working days), the
    location and the photos taken (stored). Fails when a serious finding exists or any
    checklist item is not met."""
    _require_inspector(actor, inspection)
    checklist = (
        ChecklistTemplate.objects.filter(kind=inspection.kind, is_active=True)
        .order_by("-created_at")
        .first()
    )
    codes = [i["code"] for i in checklist.items] if checklist else []
    checked = _record_checked(inspection, codes, answers, findings, photos)
    failed = any(answers.get(c) is False for c in codes) or any(
        f["severity"] == Severity.SERIOUS for f in findings
    )
    now = timezone.now()
    inspection.status = InspectionStatus.DONE
    inspection.result = InspectionResult.FAILED if failed else InspectionResult.PASSED
    inspection.done_at, inspection.inspector = now, actor_user(actor)
    inspection.checklist, inspection.answers = checklist, {c: answers[c] for c in codes}
    inspection.lat, inspection.lng, inspection.photos = lat, lng, len(checked)
    inspection.save()
    photos_store(
        checked,
        actor=actor,
        organisation_id=inspection.organisation_id,
        division_code=inspection.division_code,
        inspection=inspection,
    )
    deadline = add_working_days(
        timezone.localdate(now),
        settings.SUPERVISION_RECTIFICATION_WORKING_DAYS,
        calendar_overrides(),
    )
    for entry in findings:
        found = Finding.objects.create(
            inspection=inspection,
            severity=entry["severity"],
            text=str(entry["text"]).strip()[:1000],
        )
        Rectification.objects.create(
            finding=found,
            organisation_id=inspection.organisation_id,
            division_code=inspection.division_code,
            deadline=entry.get("deadline") or deadline,
        )
    audit_update(
        actor, inspection, result=[None, inspection.result], findings=[None, len(findings)]
    )
    return inspection


@transaction.atomic
def rectification_respond(
    *, actor: Actor, rectification: Rectification, response: str, evidence: Sequence[bytes]
) -> Rectification:
    """The provider says what it put right, with photos as evidence (stored)."""
    require_perm(actor, Permission.RESPOND_RECTIFICATIONS)
    if not actor.scope.covers(
        division_code=rectification.division_code, organisation_id=rectification.organisation_id
    ):
        raise PermissionDenied("rectification")
    errors: dict[str, str] = {}
    if rectification.status == RectificationStatus.CLOSED:
        errors["status"] = _("This rectification is closed.")
    if not str(response or "").strip():
        errors["response"] = _("Say what was put right.")
    checked: list[Photo] = []
    if not evidence:
        errors["evidence"] = _("Attach evidence of the rectification.")
    else:
        try:
            checked = photos_checked(
                list(evidence), field="evidence", have=rectification.photo_files.count()
            )
        except ValidationError as error:
            errors.update({k: " ".join(v) for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    photos_store(
        checked,
        actor=actor,
        organisation_id=rectification.organisation_id,
        division_code=rectification.division_code,
        rectification=rectification,
    )
    rectification.status = RectificationStatus.RESPONDED
    rectification.response = str(response).strip()[:1000]
    rectification.evidence = rectification.photo_files.count()
    rectification.responded_at = timezone.now()
    rectification.save()
    audit_update(actor, rectification, status=[RectificationStatus.OPEN, rectification.status])
    return rectification


@transaction.atomic
def rectification_close(*, actor: Actor, rectification: Rectification) -> Rectification:
    """Close after re-inspection; refused while the provider has given no evidence."""
    require_perm(actor, Permission.INSPECT)
    require_in_scope(
        actor,
        division_code=rectification.division_code,
        organisation_id=rectification.organisation_id,
    )
    if rectification.status != RectificationStatus.RESPONDED or rectification.evidence < 1:
        raise ValidationError(
            {
                "evidence": _(
                    "A rectification is closed only on the provider's response with evidence."
                )
            }
        )
    rectification.status = RectificationStatus.CLOSED
    rectification.closed_at = timezone.now()
    rectification.save(update_fields=["status", "closed_at", "updated_at"])
    audit_update(actor, rectification, status=[RectificationStatus.RESPONDED, rectification.status])
    return rectification


@transaction.atomic
def rectification_return(
    *, actor: Actor, rectification: Rectification, reason: str
) -> Rectification:
    """The re-inspection finds the finding not put right: the order goes back open with
    the reason, its deadline unchanged (so an overdue order keeps escalating); the
    provider responds again with new evidence."""
    require_perm(actor, Permission.INSPECT)
    require_in_scope(
        actor,
        division_code=rectification.division_code,
        organisation_id=rectification.organisation_id,
    )
    errors: dict[str, str] = {}
    if rectification.status != RectificationStatus.RESPONDED:
        errors["status"] = _("Only a rectification the provider has responded to is re-inspected.")
    reason = str(reason or "").strip()
    if not reason:
        errors["reason"] = _("Say what the re-inspection found not put right.")
    if errors:
        raise ValidationError(errors)
    rectification.status = RectificationStatus.OPEN
    rectification.reinspection_note = reason[:1000]
    rectification.save(update_fields=["status", "reinspection_note", "updated_at"])
    audit_update(
        actor,
        rectification,
        status=[RectificationStatus.RESPONDED, rectification.status],
        reason=[None, reason[:200]],
    )
    return rectification
