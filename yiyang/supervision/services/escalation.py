"""Escalation of overdue work: a complaint not acknowledged or not answered by its deadline,
a rectification open after its deadline, goes to the district; still overdue
SUPERVISION_CITY_ESCALATION_WORKING_DAYS working days later, to the city. Run by
``yiyang escalate-overdue`` (cron, like ``request-due-assessments``)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiyang.core.permissions import Actor
from yiyang.supervision.choices import (
    ComplaintEventKind,
    ComplaintStatus,
    EscalationLevel,
    RectificationStatus,
)
from yiyang.supervision.models import Complaint, ComplaintEvent, Rectification
from yiyang.supervision.selectors import calendar_overrides
from yiyang.supervision.services.common import audit_update
from yiyang.supervision.workdays import working_days_between


def _level(
    deadline: datetime.date, today: datetime.date, calendar: dict[datetime.date, str]
) -> int:
    if today <= deadline:
        return EscalationLevel.NONE
    late = working_days_between(deadline, today, calendar)
    if late > settings.SUPERVISION_CITY_ESCALATION_WORKING_DAYS:
        return EscalationLevel.CITY
    return EscalationLevel.DISTRICT


def _complaint_deadline(complaint: Complaint) -> datetime.datetime:
    if complaint.status == ComplaintStatus.RECEIVED:
        return min(complaint.acknowledge_by, complaint.answer_by)
    return complaint.answer_by


@transaction.atomic
def overdue_escalate(*, actor: Actor, now: datetime.datetime | None = None) -> dict[str, int]:
    """Raise the escalation of every overdue complaint and rectification (never lowers it).
    Safe to run often: an item already at its level is left alone."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = calendar_overrides()
    counts = {"complaints": 0, "rectifications": 0}
    overdue = (
        Complaint.objects.filter(
            Q(status=ComplaintStatus.RECEIVED, acknowledge_by__lt=now)
            | Q(
                status__in=[ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED],
                answer_by__lt=now,
            )
        )
        .exclude(escalation=EscalationLevel.CITY)
        .select_for_update()
    )
    for complaint in overdue:
        deadline = timezone.localdate(_complaint_deadline(complaint))
        level = max(_level(deadline, today, calendar), EscalationLevel.DISTRICT)
        if level <= complaint.escalation:
            continue
        before = complaint.escalation
        complaint.escalation = level
        complaint.save(update_fields=["escalation", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=ComplaintEventKind.ESCALATED,
            note=str(EscalationLevel(level).label),
            at=now,
        )
        audit_update(actor, complaint, escalation=[before, level])
        counts["complaints"] += 1
    rectifications = (
        Rectification.objects.filter(deadline__lt=today)
        .exclude(status=RectificationStatus.CLOSED)
        .exclude(escalation=EscalationLevel.CITY)
        .select_for_update()
    )
    for rectification in rectifications:
        level = _level(rectification.deadline, today, calendar)
        if level <= rectification.escalation:
            continue
        before = rectification.escalation
        rectification.escalation = level
        rectification.save(update_fields=["escalation", "updated_at"])
        audit_update(actor, rectification, escalation=[before, level])
        counts["rectifications"] += 1
    return counts
