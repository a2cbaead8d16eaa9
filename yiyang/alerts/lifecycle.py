"""Which steps an alert allows now, and to whom: decided here once.

The alert panel reads :func:`alert_steps` to show its controls (acknowledge, log an action,
resolve, review); the handling services call :func:`alert_step_check` as their guard, so a
control is shown exactly when the service would accept the step. Two operators clicking at
once are still settled in the services by a conditional update (one claim wins); this
module says what is open before the click.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from yiyang.alerts.choices import ACTIVE_STATUSES, AlertStatus
from yiyang.alerts.models import Alert
from yiyang.core.lifecycle import Action, Refusal, open_actions, permission_refusal, refuse
from yiyang.core.permissions import Actor, Permission


class AlertStep(Action):
    ACKNOWLEDGE = "acknowledge", Permission.HANDLE_ALERTS
    LOG = "log", Permission.HANDLE_ALERTS  # a call and its result, help sent, a note
    RESOLVE = "resolve", Permission.HANDLE_ALERTS
    REVIEW = "review", Permission.REVIEW_ALERTS


def alert_step_refusal(*, actor: Actor, alert: Alert, step: AlertStep) -> Refusal | None:
    """Why ``actor`` may not take ``step`` on ``alert`` now, or None when they may."""
    if (denied := permission_refusal(actor, step.permission)) is not None:
        return denied
    if not actor.scope.covers(division_code=alert.division_code, organisation_id=None):
        return Refusal(_("This alert lies outside your jurisdiction."), denied=True)
    if step == AlertStep.ACKNOWLEDGE and alert.status != AlertStatus.OPEN:
        if alert.status == AlertStatus.ACKNOWLEDGED:
            who = alert.acknowledged_by.username if alert.acknowledged_by else ""
            return Refusal(_("Already acknowledged by %(user)s.") % {"user": who})
        return Refusal(_("This alert is no longer open."))
    if step in (AlertStep.LOG, AlertStep.RESOLVE) and alert.status not in ACTIVE_STATUSES:
        return Refusal(_("This alert is closed."))
    if step == AlertStep.REVIEW and alert.status != AlertStatus.RESOLVED:
        return Refusal(_("Only a resolved alert can be reviewed."))
    return None


def alert_step_check(*, actor: Actor, alert: Alert, step: AlertStep) -> None:
    """The services' guard: raise the refusal (403 or a field error) when not allowed."""
    refuse(alert_step_refusal(actor=actor, alert=alert, step=step))


def alert_steps(*, actor: Actor, alert: Alert) -> frozenset[AlertStep]:
    """Every step ``actor`` may take on ``alert`` now (the panel's controls)."""
    return open_actions(AlertStep, lambda s: alert_step_refusal(actor=actor, alert=alert, step=s))
