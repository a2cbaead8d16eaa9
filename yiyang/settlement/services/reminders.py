"""Workflow deadlines sent as messages: each statement step due within two days (or past)
is sent once per step and due date to the users who take it (the provider's managers
confirm, the street officers verify, the district approves, city finance releases and
records the payment), through the platform's notification channels (``alerts``). The same
statements the pages list as reminders (``selectors.steps_due``); the ``StepReminder``
row makes a second run, or a second worker, send nothing twice."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from yiyang.accounts.models import User
from yiyang.alerts.choices import RecipientKind
from yiyang.alerts.services import notification_send
from yiyang.core.permissions import Role
from yiyang.settlement.choices import StatementStatus
from yiyang.settlement.models import Statement, StepReminder
from yiyang.settlement.selectors import NEXT_STEP, steps_due

# The step each status waits for (the ``due_in`` names) and what the message asks.
STEPS: dict[str, tuple[str, Any]] = {
    StatementStatus.DRAFT: ("confirm", gettext_lazy("confirm or dispute it")),
    StatementStatus.CONFIRMED: ("verify", gettext_lazy("decide its held lines and verify it")),
    StatementStatus.VERIFIED: ("approve", gettext_lazy("approve it")),
    StatementStatus.APPROVED: ("release", gettext_lazy("release its payment")),
    StatementStatus.RELEASED: ("pay", gettext_lazy("record its payment")),
}


def _responsible(today: datetime.date) -> dict[int, tuple[Statement, list[Any]]]:
    """Each statement whose step is due soon, with the users who take that step."""
    roles = sorted({role for permission in NEXT_STEP.values() for role in permission.roles})
    found: dict[int, tuple[Statement, list[Any]]] = {}
    users = User.objects.filter(role__in=roles, is_active=True).order_by("id")
    for user in users.select_related("division", "organisation"):
        for statement in steps_due(actor=user, today=today, limit=1000):
            found.setdefault(statement.pk, (statement, []))[1].append(user)
    return found


def _message(statement: Statement, ask: Any) -> str:
    return _(
        "Reminder: the statement of %(provider)s for %(month)s (contract %(contract)s) "
        "waits for you to %(ask)s by %(due)s."
    ) % {
        "provider": statement.provider.name,
        "month": f"{statement.month:%Y-%m}",
        "contract": statement.contract.number,
        "ask": ask,
        "due": f"{statement.due_on:%Y-%m-%d}",
    }


def step_reminders_send(*, today: datetime.date | None = None) -> dict[str, int]:
    """Send each due step's reminder once; returns how many reminders and messages."""
    today = today or timezone.localdate()
    reminders = messages = 0
    with translation.override(settings.LANGUAGE_CODE):
        for statement, users in _responsible(today).values():
            step, ask = STEPS[statement.status]
            usernames = sorted(u.username for u in users)
            with transaction.atomic():
                _reminder, created = StepReminder.objects.get_or_create(
                    statement=statement,
                    step=step,
                    due_on=statement.due_on,
                    defaults={"recipients": usernames},
                )
                if not created:
                    continue
                text = _message(statement, ask)
                for user in users:
                    kind = (
                        RecipientKind.PROVIDER
                        if user.role == Role.PROVIDER_MANAGER
                        else RecipientKind.OFFICER
                    )
                    notification_send(
                        recipient_kind=kind,
                        recipient=user.username,
                        message=text,
                        division_code=statement.division_code,
                    )
                    messages += 1
            reminders += 1
    return {"reminders": reminders, "messages": messages}


@task()
def step_reminders_task() -> dict[str, int]:
    """The scheduled job (queued by ``run-settlement-scheduler`` each round)."""
    return step_reminders_send()
