"""Which actions a plan run (and a provider's day) allows now, and to whom: decided here once.

The plan and day pages read :func:`plan_actions` and :func:`day_plan_refusal` to show their
controls (accept the proposal, optimise the day again, re-plan after a dropout); the
services call the same functions as their guards.
"""

from __future__ import annotations

import datetime
import enum

from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.lifecycle import Refusal, open_actions, permission_refusal, refuse
from yiyang.core.permissions import Actor, Permission
from yiyang.organisations.models import Organisation
from yiyang.scheduling.choices import PlanRunStatus
from yiyang.scheduling.models import PlanRun


class PlanAction(enum.StrEnum):
    ACCEPT = "accept"
    REPLAN = "replan"  # optimise the day again, or re-plan it after a dropout


def provider_refusal(actor: Actor, provider: Organisation) -> Refusal | None:
    """Only a dispatcher of the provider plans its days."""
    if (denied := permission_refusal(actor, Permission.DISPATCH_VISITS)) is not None:
        return denied
    if provider.pk not in (actor.scope.organisation_ids or ()):
        return Refusal("provider", denied=True)
    return None


def day_plan_refusal(day: datetime.date) -> Refusal | None:
    """A day that is over cannot be planned (again)."""
    if day < timezone.localdate():
        return Refusal(_("A day that is over cannot be planned."), field="day")
    return None


def plan_action_refusal(*, actor: Actor, run: PlanRun, action: PlanAction) -> Refusal | None:
    """Why ``actor`` may not take ``action`` on ``run`` now, or None when they may."""
    refusal = provider_refusal(actor, run.provider)
    if refusal is not None:
        return refusal
    day_over = day_plan_refusal(run.day)
    if action == PlanAction.REPLAN or day_over is not None:  # a day over is not re-arranged
        return day_over
    if run.status != PlanRunStatus.DONE:
        return Refusal(_("The plan is not ready yet."), field="run")
    if run.accepted_at is not None:
        return Refusal(
            _("This proposal was accepted already; optimise the day again for a new one."),
            field="run",
        )
    return None


def plan_action_check(*, actor: Actor, run: PlanRun, action: PlanAction) -> None:
    """The services' guard: raise the refusal (403 or a field error) when not allowed."""
    refuse(plan_action_refusal(actor=actor, run=run, action=action))


def plan_actions(*, actor: Actor, run: PlanRun) -> frozenset[PlanAction]:
    """Every action ``actor`` may take on ``run`` now (the plan page's controls)."""
    return open_actions(PlanAction, lambda a: plan_action_refusal(actor=actor, run=run, action=a))
