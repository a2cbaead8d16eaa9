"""The city's complaint register: every channel, deadlines in working days, assignment,
answers, satisfaction at closure, reopening. Escalation is in ``escalation``."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.core.validation import required_text
from yiyang.meals.models import ServedMeal
from yiyang.organisations.choices import PROVIDER_KINDS
from yiyang.organisations.models import Organisation
from yiyang.services.models import Caregiver
from yiyang.supervision.choices import (
    OPEN_COMPLAINT_STATUSES as OPEN_STATUSES,
)
from yiyang.supervision.choices import (
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEventKind,
    ComplaintStatus,
)
from yiyang.supervision.models import Complaint, ComplaintEvent
from yiyang.supervision.services.common import (
    audit,
    audit_update,
    require_step,
    working_deadline,
)
from yiyang.visits.models import Visit

NEXT_STATUS: dict[str, tuple[str, ...]] = {
    ComplaintStatus.RECEIVED: (ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.ANSWERED),
    ComplaintStatus.ACKNOWLEDGED: (ComplaintStatus.ANSWERED,),
    ComplaintStatus.ANSWERED: (ComplaintStatus.CLOSED,),
    ComplaintStatus.CLOSED: (ComplaintStatus.RECEIVED,),  # reopened
}


def complaint_actions(complaint: Complaint) -> tuple[str, ...]:
    """What can happen to a complaint now: the page's buttons and the services' guard."""
    return NEXT_STATUS.get(complaint.status, ())


def _step(actor: Actor, complaint: Complaint, status: str) -> None:
    """The guard of a step of the complaint's lifecycle: a handler who may reach the
    complaint, and the step open now."""
    _require_handler(actor, complaint)
    refusal = _("This complaint is %(status)s: that step is not open.")
    require_step(complaint, status, complaint_actions(complaint), refusal)


def _number(at: datetime.datetime) -> str:
    prefix = f"TS{timezone.localdate(at):%Y%m%d}"
    count = Complaint.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:05d}"


def _event(
    complaint: Complaint,
    kind: str,
    actor: Actor | None,
    note: str = "",
    at: datetime.datetime | None = None,
) -> None:
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        note=note[:2000],
        actor=actor_user(actor) if actor is not None else None,
        at=at or timezone.now(),
    )


def _create(*, actor: Actor, values: dict[str, Any], event: str, note: str = "") -> Complaint:
    received_at = values.pop("received_at", None) or timezone.now()
    complaint = Complaint.objects.create(
        number=_number(received_at),
        received_at=received_at,
        acknowledge_by=working_deadline(received_at, settings.SUPERVISION_ACKNOWLEDGE_WORKING_DAYS),
        answer_by=working_deadline(received_at, settings.SUPERVISION_ANSWER_WORKING_DAYS),
        **values,
    )
    _event(complaint, event, actor, note, at=received_at)
    audit(
        actor,
        AuditAction.CREATE,
        complaint,
        complaint.division_code,
        {"channel": [None, complaint.channel], "organisation": [None, complaint.organisation_id]},
    )
    return complaint


@transaction.atomic
def complaint_register(
    *,
    actor: Actor,
    channel: str,
    organisation: Organisation | None,
    text: str,
    category: str = ComplaintCategory.SERVICE_QUALITY,
    received_at: datetime.datetime | None = None,
    work_order: str = "",
    caregiver_id: Any = None,
    meal_id: Any = None,
) -> Complaint:
    """Enter a complaint from the call centre, a walk-in or a 12345 work order. The
    organisation must be a provider inside the actor's jurisdiction; the caregiver or the
    served meal concerned (public ids, optional) must be that organisation's."""
    require_perm(actor, Permission.REGISTER_COMPLAINTS)
    errors: dict[str, str] = {}
    if channel not in ComplaintChannel.values or channel == ComplaintChannel.FAMILY_PAGE:
        errors["channel"] = _("Choose the channel the complaint came through.")
    if category not in ComplaintCategory.values:
        errors["category"] = _("Choose a category.")
    text = str(text or "").strip()
    if not text:
        errors["text"] = _("Describe the complaint.")
    if organisation is None or organisation.kind not in PROVIDER_KINDS:
        errors["organisation"] = _("Choose the provider the complaint is about.")
    elif not actor.scope.covers_division_code(organisation.division.code):
        errors["organisation"] = _("This organisation is outside your jurisdiction.")
    if received_at is not None and received_at > timezone.now():
        errors["received_at"] = _("The date lies in the future.")
    work_order = str(work_order or "").strip()
    if work_order and Complaint.objects.filter(work_order=work_order).exists():
        errors["work_order"] = _("This work-order number is already in the register.")
    concerned = _concerned(organisation, caregiver_id, meal_id, errors)
    if errors:
        raise ValidationError(errors)
    assert organisation is not None
    values = {
        **concerned,
        "channel": channel,
        "category": category,
        "organisation": organisation,
        "division_code": organisation.division.code,
        "text": text[:2000],
        "made_by": actor_user(actor),
        "received_at": received_at,
        "work_order": work_order or None,
    }
    return _create(actor=actor, values=values, event=ComplaintEventKind.RECEIVED)


@transaction.atomic
def _concerned(
    organisation: Organisation | None, caregiver_id: Any, meal_id: Any, errors: dict[str, str]
) -> dict[str, Any]:
    """The caregiver and meal a complaint concerns, checked to be the organisation's."""
    found: dict[str, Any] = {}
    if caregiver_id:
        found["caregiver"] = (
            Caregiver.objects.filter(external_id=caregiver_id, provider=organisation).first()
            if _is_uuid(caregiver_id) and organisation is not None
            else None
        )
        if found["caregiver"] is None:
            errors["caregiver"] = _("No caregiver with this id works for the organisation.")
    if meal_id:
        found["meal"] = (
            ServedMeal.objects.filter(
                external_id=meal_id, canteen__organisation=organisation
            ).first()
            if _is_uuid(meal_id) and organisation is not None
            else None
        )
        if found["meal"] is None:
            errors["meal"] = _("No meal with this id was served by the organisation.")
    return found


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def complaint_from_family(
    *,
    actor: Actor,
    visit: Visit,
    text: str,
    category: str = ComplaintCategory.SERVICE_QUALITY,
) -> Complaint:
    """A family member complains about a visit to their elder from the family page: the
    complaint enters the register (channel: family page) against the visit's provider,
    with the register's deadlines. The one path for family complaints."""
    require_perm(actor, Permission.RATE_VISITS)
    if visit.elder_id not in (actor.scope.elder_ids or ()):  # a family member's linked elders
        raise PermissionDenied("elder")
    errors: dict[str, str] = {}
    text = str(text or "").strip()
    if not text:
        errors["text"] = _("Describe the complaint.")
    if category not in ComplaintCategory.values:
        errors["category"] = _("Choose a category.")
    if errors:
        raise ValidationError(errors)
    values = {
        "channel": ComplaintChannel.FAMILY_PAGE,
        "category": category,
        "organisation_id": visit.provider_id,
        "division_code": visit.division_code,
        "visit": visit,
        "caregiver_id": visit.caregiver_id,
        "text": text[:2000],
        "made_by": actor_user(actor),
    }
    return _create(actor=actor, values=values, event=ComplaintEventKind.RECEIVED)


def _require_handler(actor: Actor, complaint: Complaint) -> None:
    require_perm(actor, Permission.HANDLE_COMPLAINTS)
    if not actor.scope.covers(
        division_code=complaint.division_code, organisation_id=complaint.organisation_id
    ):
        raise PermissionDenied("complaint")


@transaction.atomic
def complaint_acknowledge(*, actor: Actor, complaint: Complaint, note: str = "") -> Complaint:
    _step(actor, complaint, ComplaintStatus.ACKNOWLEDGED)
    complaint.status = ComplaintStatus.ACKNOWLEDGED
    complaint.acknowledged_at = timezone.now()
    complaint.assigned_to = actor_user(actor)
    complaint.save(update_fields=["status", "acknowledged_at", "assigned_to", "updated_at"])
    _event(complaint, ComplaintEventKind.ACKNOWLEDGED, actor, note)
    audit_update(actor, complaint, status=[ComplaintStatus.RECEIVED, complaint.status])
    return complaint


def complaint_assignees(complaint: Complaint) -> list[Any]:
    """The people who may take this complaint on: active users whose role handles
    complaints and whose jurisdiction or organisation covers it, by name."""
    from yiyang.accounts.models import User  # accounts sits below: the model only

    return [
        user
        for user in User.objects.filter(
            is_active=True, role__in=[str(r) for r in Permission.HANDLE_COMPLAINTS.roles]
        )
        .select_related("division", "organisation")
        .order_by("username")
        if user.scope.covers(
            division_code=complaint.division_code, organisation_id=complaint.organisation_id
        )
    ]


@transaction.atomic
def complaint_assign(
    *, actor: Actor, complaint: Complaint, assignee: str, note: str = ""
) -> Complaint:
    """Give an open complaint to a named handler (by username) who may take it on; the
    history says who gave it to whom."""
    _require_handler(actor, complaint)
    if complaint.status not in OPEN_STATUSES:
        raise ValidationError(
            {
                "assignee": _("Only an open complaint can be assigned: this one is %(status)s.")
                % {"status": complaint.get_status_display()}
            }
        )
    chosen = next((u for u in complaint_assignees(complaint) if u.username == assignee), None)
    if chosen is None:
        raise ValidationError(
            {"assignee": _("Choose someone who handles complaints for this organisation.")}
        )
    before = complaint.assigned_to.username if complaint.assigned_to else None
    complaint.assigned_to = chosen
    complaint.save(update_fields=["assigned_to", "updated_at"])
    text = f"→ {chosen.username}" + (f" · {note.strip()[:200]}" if note.strip() else "")
    _event(complaint, ComplaintEventKind.ASSIGNED, actor, text)
    audit_update(actor, complaint, assigned_to=[before, chosen.username])
    return complaint


@transaction.atomic
def complaint_answer(*, actor: Actor, complaint: Complaint, answer: str) -> Complaint:
    _step(actor, complaint, ComplaintStatus.ANSWERED)
    answer = required_text(answer, "answer", _("Write the answer."))
    before = complaint.status
    now = timezone.now()
    complaint.status = ComplaintStatus.ANSWERED
    complaint.answer = answer[:2000]
    complaint.answered_at = now
    complaint.acknowledged_at = complaint.acknowledged_at or now
    complaint.save(
        update_fields=["status", "answer", "answered_at", "acknowledged_at", "updated_at"]
    )
    _event(complaint, ComplaintEventKind.ANSWERED, actor, answer)
    audit_update(actor, complaint, status=[before, complaint.status], answer=[None, answer[:200]])
    return complaint


@transaction.atomic
def complaint_close(*, actor: Actor, complaint: Complaint, satisfied: bool | None) -> Complaint:
    """Close an answered complaint with the complainant's satisfaction (None: not reached)."""
    _step(actor, complaint, ComplaintStatus.CLOSED)
    complaint.status = ComplaintStatus.CLOSED
    complaint.closed_at = timezone.now()
    complaint.satisfied = satisfied
    complaint.save(update_fields=["status", "closed_at", "satisfied", "updated_at"])
    _event(complaint, ComplaintEventKind.CLOSED, actor)
    audit_update(
        actor,
        complaint,
        status=[ComplaintStatus.ANSWERED, complaint.status],
        satisfied=[None, satisfied],
    )
    return complaint


@transaction.atomic
def complaint_reopen(*, actor: Actor, complaint: Complaint, reason: str) -> Complaint:
    """Reopen a closed complaint: new deadlines from now, the answer kept in the history."""
    _step(actor, complaint, ComplaintStatus.RECEIVED)
    reason = required_text(reason, "reason", _("Say why the complaint is reopened."))
    now = timezone.now()
    complaint.status = ComplaintStatus.RECEIVED
    complaint.acknowledge_by = working_deadline(now, settings.SUPERVISION_ACKNOWLEDGE_WORKING_DAYS)
    complaint.answer_by = working_deadline(now, settings.SUPERVISION_ANSWER_WORKING_DAYS)
    complaint.acknowledged_at = complaint.answered_at = complaint.closed_at = None
    complaint.satisfied = None
    complaint.escalation = 0
    complaint.save()
    _event(complaint, ComplaintEventKind.REOPENED, actor, reason)
    audit_update(
        actor,
        complaint,
        status=[ComplaintStatus.CLOSED, complaint.status],
        reason=[None, reason[:200]],
    )
    return complaint
