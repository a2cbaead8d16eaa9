"""Workflow deadlines sent as messages: to the users who take the step, once per step and
due date however often the job runs, through the notification channels; queued by the
settlement scheduler each round."""

from __future__ import annotations

import datetime

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.settlement.conftest import Books
from yiyang.alerts.models import Notification
from yiyang.core.permissions import Role
from yiyang.settlement import services
from yiyang.settlement.models import StepReminder
from yiyang.settlement.services.reminders import step_reminders_send


def settle(books: Books):
    return services.settle_month(
        actor=books.world.user[Role.FINANCE_OFFICER], month=books.month
    ).statements[0]


def _to(username: str) -> list[str]:
    return list(Notification.objects.filter(recipient=username).values_list("message", flat=True))


@override_settings(ALERT_NOTIFICATION_CHANNELS=["outbox"])
def test_each_step_is_reminded_once_to_those_who_take_it(books: Books) -> None:
    books.visit(day=3)
    statement = settle(books)
    today = timezone.localdate()
    # Not due within two days: nothing is sent.
    assert statement.due_on > today + datetime.timedelta(days=2)
    assert step_reminders_send(today=today) == {"reminders": 0, "messages": 0}
    # Three days later the provider's confirmation is due in two days.
    later = statement.due_on - datetime.timedelta(days=2)
    sent = step_reminders_send(today=later)
    assert sent["reminders"] == 1 and sent["messages"] >= 1
    assert len(_to(books.manager.username)) == 1
    assert books.world.user[Role.STREET_OFFICER].username not in {
        n.recipient for n in Notification.objects.all()
    }
    assert Notification.objects.get(recipient=books.manager.username).recipient_kind == "provider"
    # Run again (a second round, a second worker): nothing twice.
    assert step_reminders_send(today=later) == {"reminders": 0, "messages": 0}
    assert len(_to(books.manager.username)) == 1
    # The next step (the street's verification) has a deadline of its own.
    services.statement_confirm(actor=books.manager, statement=statement)
    statement.refresh_from_db()
    street = books.world.user[Role.STREET_OFFICER]
    step_reminders_send(today=statement.due_on)
    assert len(_to(street.username)) == 1
    assert Notification.objects.get(recipient=street.username).recipient_kind == "officer"
    assert len(_to(books.users["street_xa2"].username)) == 0  # no elder of XA2 on it
    assert len(_to(books.manager.username)) == 1
    assert set(StepReminder.objects.values_list("step", flat=True)) == {"confirm", "verify"}
    reminder = StepReminder.objects.get(step="verify")
    assert street.username in reminder.recipients
    services.statement_verify(actor=street, statement=statement)
    statement.refresh_from_db()
    step_reminders_send(today=statement.due_on + datetime.timedelta(days=3))  # overdue
    district = books.world.user[Role.DISTRICT_OFFICER]
    assert len(_to(district.username)) == 1
    assert "HT-2026-001" in _to(district.username)[0]


@override_settings(ALERT_NOTIFICATION_CHANNELS=["outbox"])
def test_the_scheduler_round_sends_the_reminders(books: Books) -> None:
    books.visit(day=3)
    statement = settle(books)
    type(statement).objects.filter(pk=statement.pk).update(due_on=timezone.localdate())
    call_command("run-settlement-scheduler", once=True)
    assert StepReminder.objects.filter(statement=statement, step="confirm").count() == 1
    assert len(_to(books.manager.username)) == 1
