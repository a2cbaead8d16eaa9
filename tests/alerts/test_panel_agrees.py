"""The alert panel shows a control exactly when the service would accept the step: for every
state of an alert and every role, the rendered panel's controls are compared with what the
handling services do when the step is attempted (then rolled back). One rule decides both
(yiyang/alerts/lifecycle.py, docs/adr/0007)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.agreement import service_accepts
from tests.alerts.helpers import bound_device, elder_with_contacts
from tests.conftest import World
from tests.security.matrix import ROLES
from yiyang.alerts import services
from yiyang.alerts.lifecycle import AlertStep, alert_steps
from yiyang.alerts.models import Alert
from yiyang.core.permissions import Role

CONTROL = {
    AlertStep.ACKNOWLEDGE: 'id="ack"',
    AlertStep.LOG: 'id="action-form"',
    AlertStep.RESOLVE: 'id="handle"',
    AlertStep.REVIEW: '/review/" class="filters"',  # the review form's action
}


def _accepted(actor, alert: Alert, step: AlertStep) -> bool:
    calls: dict[AlertStep, Callable[[], object]] = {
        AlertStep.ACKNOWLEDGE: lambda: services.alert_acknowledge(alert=alert, actor=actor),
        AlertStep.LOG: lambda: services.alert_action_log(
            alert=alert, actor=actor, kind="note", note="已致电"
        ),
        AlertStep.RESOLVE: lambda: services.alert_resolve(
            alert=alert, actor=actor, outcome="false_alarm"
        ),
        AlertStep.REVIEW: lambda: services.alert_review(alert=alert, actor=actor, note="核查"),
    }
    try:
        return service_accepts(calls[step])
    finally:
        alert.refresh_from_db()


@pytest.mark.django_db
def test_alert_controls_agree_with_the_services_in_every_state_for_every_role(
    world: World, client_for: Callable[[str], Client]
) -> None:
    operator = world.user[Role.OPERATOR]
    states: dict[str, Alert] = {}
    for number, state in enumerate(["open", "acknowledged", "resolved", "reviewed"]):
        elder = elder_with_contacts(world, "XA1a", name=f"老人{number}")
        bound_device(world, elder)
        alert = services.alert_raise(
            elder=elder, kind="other", detail="报警", source="manual", actor=operator
        )
        if state != "open":
            services.alert_acknowledge(alert=alert, actor=operator)
        if state in ("resolved", "reviewed"):
            services.alert_resolve(alert=alert, actor=operator, outcome="false_alarm")
        if state == "reviewed":
            services.alert_review(alert=alert, actor=world.user[Role.CITY_ADMIN])
        alert.refresh_from_db()
        states[state] = alert
    compared, offered = 0, set()
    for role in ROLES:
        client, actor = client_for(role), world.user[role]
        for state, alert in states.items():
            response = client.get(f"/alerts/{alert.external_id}/panel/")
            page = response.content.decode() if response.status_code == 200 else ""
            listed = alert_steps(actor=actor, alert=alert)
            for step, marker in CONTROL.items():
                shown = marker in page
                accepted = _accepted(actor, alert, step)
                assert shown == accepted, (role, state, step, shown, accepted)
                assert (step in listed) == accepted, (role, state, step)
                offered |= {step} if shown else set()
                compared += 1
    assert compared == len(ROLES) * len(states) * len(CONTROL)
    assert offered == set(AlertStep)
