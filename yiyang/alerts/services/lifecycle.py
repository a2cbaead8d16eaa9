"""An alert's handling by people: acknowledged, actions logged, resolved, reviewed."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.alerts import bus
from yiyang.alerts.choices import (
    OPERATOR_ACTIONS,
    OPERATOR_OUTCOMES,
    ActionKind,
    ActionResult,
    AlertStatus,
)
from yiyang.alerts.lifecycle import AlertStep, alert_step_check, alert_step_refusal
from yiyang.alerts.models import Alert, AlertAction
from yiyang.alerts.services.raising import username_of
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.lifecycle import refuse_denied
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.devices import clock
from yiyang.elders.models import ElderContact


def _require_handle(actor: Actor, alert: Alert) -> None:
    """Who may handle it (the state is checked, locked or claimed, by each step)."""
    require_perm(actor, Permission.HANDLE_ALERTS)
    refuse_denied(alert_step_refusal(actor=actor, alert=alert, step=AlertStep.LOG))


def _acknowledge(alert: Alert, actor: Actor, now: datetime.datetime) -> bool:
    """Open -> acknowledged, claimed conditionally (two operators clicking at once: one
    wins). Returns whether this call acknowledged it."""
    claimed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=actor_user(actor),
        escalate_at=None,
        updated_at=now,
    )
    alert.refresh_from_db()
    if claimed:
        bus.change_record(alert=alert, change="acknowledged", at=now)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=alert,
            division_code=alert.division_code,
            changes={"status": [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]},
        )
    return bool(claimed)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: Actor, now: datetime.datetime | None = None) -> Alert:
    """An operator takes the alert: its answer time stops and escalation ends."""
    _require_handle(actor, alert)
    if not _acknowledge(alert, actor, now or clock.now()):  # refreshed: say who was first
        alert_step_check(actor=actor, alert=alert, step=AlertStep.ACKNOWLEDGE)
    return alert


@transaction.atomic
def alert_action_log(
    *,
    alert: Alert,
    actor: Actor,
    kind: str,
    result: str = "",
    contact: ElderContact | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> AlertAction:
    """Log a step taken (a call and its result, help sent, 120/119 called). An open alert
    is acknowledged by the same click."""
    _require_handle(actor, alert)
    now = now or clock.now()
    errors: dict[str, str] = {}
    if kind not in OPERATOR_ACTIONS:
        errors["kind"] = _("Choose an action.")
    if result and result not in ActionResult.values:
        errors["result"] = _("Choose a result.")
    if kind != ActionKind.NOTE and not result:
        errors["result"] = _("Say how the call or dispatch went.")
    if kind == ActionKind.NOTE and not note.strip():
        errors["note"] = _("Write the note.")
    if kind == ActionKind.CALLED_CONTACT and (
        contact is None or contact.elder_id != alert.elder_id
    ):
        errors["contact"] = _("Choose one of the elder's contacts.")
    if errors:
        raise ValidationError(errors)
    alert.refresh_from_db()
    alert_step_check(actor=actor, alert=alert, step=AlertStep.LOG)
    if alert.status == AlertStatus.OPEN:
        _acknowledge(alert, actor, now)
    action = AlertAction.objects.create(
        alert=alert,
        kind=kind,
        result=result,
        contact=contact,
        note=note.strip()[:500],
        at=now,
        actor=actor_user(actor),
        actor_username=username_of(actor),
    )
    bus.change_record(alert=alert, change="action", at=now)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=alert,
        division_code=alert.division_code,
        changes={"action": kind, "result": result},
    )
    return action


@transaction.atomic
def alert_resolve(
    *,
    alert: Alert,
    actor: Actor,
    outcome: str,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Alert:
    """Close the alert with its outcome. An open alert is acknowledged first."""
    _require_handle(actor, alert)
    now = now or clock.now()
    if outcome not in OPERATOR_OUTCOMES:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    alert.refresh_from_db()
    alert_step_check(actor=actor, alert=alert, step=AlertStep.RESOLVE)
    if alert.status == AlertStatus.OPEN:
        _acknowledge(alert, actor, now)
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.RESOLVED,
        resolved_at=now,
        resolved_by=actor_user(actor),
        outcome=outcome,
        outcome_note=note.strip()[:500],
        escalate_at=None,
        updated_at=now,
    )
    alert.refresh_from_db()
    bus.change_record(alert=alert, change="resolved", at=now)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=alert,
        division_code=alert.division_code,
        changes={"status": [AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED], "outcome": outcome},
    )
    return alert


@transaction.atomic
def alert_review(
    *, alert: Alert, actor: Actor, note: str = "", now: datetime.datetime | None = None
) -> Alert:
    """A supervisor's review of a resolved alert (call audit)."""
    require_perm(actor, Permission.REVIEW_ALERTS)
    refuse_denied(alert_step_refusal(actor=actor, alert=alert, step=AlertStep.REVIEW))
    now = now or clock.now()
    claimed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.RESOLVED).update(
        status=AlertStatus.REVIEWED,
        reviewed_at=now,
        reviewed_by=actor_user(actor),
        review_note=note.strip()[:500],
        updated_at=now,
    )
    if not claimed:  # reviewed meanwhile, or never resolved: the refusal says which
        alert.refresh_from_db()
        alert_step_check(actor=actor, alert=alert, step=AlertStep.REVIEW)
    alert.refresh_from_db()
    bus.change_record(alert=alert, change="reviewed", at=now)
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW,
        obj=alert,
        division_code=alert.division_code,
        changes={"status": [AlertStatus.RESOLVED, AlertStatus.REVIEWED]},
    )
    return alert
