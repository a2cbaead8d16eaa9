"""The lifecycle, escalation timing with a controlled clock, notifications, alert_raise."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.alerts.helpers import T0, Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World
from yiyang.alerts import channels
from yiyang.alerts.models import Alert, AlertAction, Notification, NotificationAttempt
from yiyang.alerts.services import (
    alert_acknowledge,
    alert_action_log,
    alert_raise,
    alert_resolve,
    alert_review,
    alerts_escalate,
    device_messages_ingest,
    notifications_deliver,
)
from yiyang.core.models import AuditEvent


@pytest.fixture
def sos(world: World, clock: Clock) -> Alert:
    elder = elder_with_contacts(world)
    device = bound_device(world, elder)
    device_messages_ingest(messages=[msg(device, "sos")])
    return Alert.objects.get()


def test_the_whole_lifecycle(world: World, sos: Alert, clock: Clock) -> None:
    operator = world.user["operator"]
    clock.advance(seconds=12)
    alert_acknowledge(alert=sos, actor=operator)
    contact = sos.elder.contacts.get(is_first_to_call=True)
    clock.advance(seconds=20)
    alert_action_log(alert=sos, actor=operator, kind="called_elder", result="no_answer")
    alert_action_log(
        alert=sos,
        actor=operator,
        kind="called_contact",
        result="reached",
        contact=contact,
        note="儿子10分钟后到",
    )
    alert_action_log(alert=sos, actor=operator, kind="called_120", result="dispatched")
    clock.advance(seconds=100)
    alert_resolve(alert=sos, actor=operator, outcome="taken_to_hospital", note="送市一院")
    alert_review(alert=sos, actor=world.user["district_officer"], note="处置及时")
    sos.refresh_from_db()
    assert (sos.status, sos.outcome, sos.acknowledged_by, sos.resolved_by) == (
        "reviewed",
        "taken_to_hospital",
        operator,
        operator,
    )
    assert sos.acknowledged_at == T0 + datetime.timedelta(seconds=12)
    assert sos.resolved_at == T0 + datetime.timedelta(seconds=132)
    assert list(AlertAction.objects.values_list("kind", "result")) == [
        ("called_elder", "no_answer"),
        ("called_contact", "reached"),
        ("called_120", "dispatched"),
    ]
    assert AuditEvent.objects.filter(object_id=str(sos.external_id)).count() == 7


def test_a_second_acknowledgement_is_refused(world: World, sos: Alert) -> None:
    alert_acknowledge(alert=sos, actor=world.user["operator"])
    with pytest.raises(ValidationError, match="Already acknowledged by operator"):
        alert_acknowledge(alert=sos, actor=world.user["operator"])


def test_bad_actions_name_the_field(world: World, sos: Alert) -> None:
    operator = world.user["operator"]
    with pytest.raises(ValidationError) as error:
        alert_action_log(alert=sos, actor=operator, kind="called_contact", result="maybe")
    assert set(error.value.message_dict) == {"result", "contact"}
    with pytest.raises(ValidationError) as error:
        alert_resolve(alert=sos, actor=operator, outcome="vanished")
    assert set(error.value.message_dict) == {"outcome"}
    assert AlertAction.objects.count() == 0
    sos.refresh_from_db()
    assert sos.status == "open"


def test_a_closed_alert_takes_no_more_actions(world: World, sos: Alert) -> None:
    alert_resolve(alert=sos, actor=world.user["operator"], outcome="false_alarm")
    with pytest.raises(ValidationError, match="closed"):
        alert_action_log(alert=sos, actor=world.user["operator"], kind="note", note="x")
    with pytest.raises(ValidationError):
        alert_resolve(alert=sos, actor=world.user["operator"], outcome="false_alarm")


def test_only_operators_handle_and_only_supervisors_review(world: World, sos: Alert) -> None:
    for role in ("auditor", "caregiver", "provider_manager", "community_worker"):
        with pytest.raises(PermissionDenied):
            alert_acknowledge(alert=sos, actor=world.user[role])
    with pytest.raises(PermissionDenied):
        alert_review(alert=sos, actor=world.user["operator"])


def test_escalation_after_sixty_seconds_and_again_at_the_next_tier(
    world: World, sos: Alert, clock: Clock
) -> None:
    clock.advance(seconds=59)
    assert alerts_escalate() == 0
    clock.advance(seconds=1)
    assert alerts_escalate() == 1
    assert alerts_escalate() == 0  # claimed: a second monitor does nothing
    sos.refresh_from_db()
    assert (sos.tier, sos.escalated_at) == (1, T0 + datetime.timedelta(seconds=60))
    assert list(
        Notification.objects.filter(recipient_kind="tier").values_list("recipient", flat=True)
    ) == ["supervisors"]
    clock.advance(seconds=60)
    assert alerts_escalate() == 1
    clock.advance(seconds=60)
    assert alerts_escalate() == 1  # the last tier is notified again, tier stays
    sos.refresh_from_db()
    assert sos.tier == 2
    assert list(
        Notification.objects.filter(recipient_kind="tier")
        .order_by("id")
        .values_list("recipient", flat=True)
    ) == ["supervisors", "backup_operators", "backup_operators"]
    assert AlertAction.objects.filter(kind="escalated").count() == 3


def test_an_acknowledged_alert_does_not_escalate(world: World, sos: Alert, clock: Clock) -> None:
    clock.advance(seconds=30)
    alert_acknowledge(alert=sos, actor=world.user["operator"])
    clock.advance(seconds=600)
    assert alerts_escalate() == 0


def test_two_monitors_racing_escalate_once(world: World, sos: Alert, clock: Clock) -> None:
    """Both read the alert as due; only the conditional UPDATE that matches wins."""
    clock.advance(seconds=61)
    stale = Alert.objects.filter(pk=sos.pk).values_list("pk", "tier", "escalate_at")
    due_before = list(stale)
    assert alerts_escalate() == 1
    # The loser's claim, with what it had read, matches no row.
    pk, tier, deadline = due_before[0]
    assert (
        Alert.objects.filter(pk=pk, status="open", tier=tier, escalate_at=deadline).update(
            tier=tier + 1
        )
        == 0
    )


def test_raising_notifies_the_first_contact_and_the_community_worker(
    world: World, sos: Alert, clock: Clock
) -> None:
    rows = list(Notification.objects.order_by("id").values_list("recipient_kind", "recipient"))
    assert rows == [("contact", "李强 (Child) 139****9000"), ("community", "community_worker")]
    assert notifications_deliver() == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert NotificationAttempt.objects.filter(ok=True).count() == 2


def test_a_failing_channel_is_recorded_and_retried(
    world: World, sos: Alert, clock: Clock, monkeypatch: Any
) -> None:
    calls: list[str] = []

    def broken(self: Any, notification: Any) -> channels.Delivery:
        calls.append(notification.recipient)
        raise ConnectionError("gateway down")

    monkeypatch.setattr(channels.OutboxChannel, "deliver", broken)
    assert notifications_deliver() == 0
    assert notifications_deliver() == 0  # not due again yet (back-off)
    assert len(calls) == 2
    attempt = NotificationAttempt.objects.first()
    assert attempt is not None
    assert (attempt.ok, attempt.detail) == (False, "ConnectionError: gateway down")
    monkeypatch.undo()
    clock.advance(seconds=31)
    assert notifications_deliver() == 2


def test_alert_raise_from_a_visit(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    caregiver = world.user["caregiver"]
    alert = alert_raise(
        elder=elder,
        kind="found_unwell",
        detail="呼吸急促，意识模糊",
        source="visit",
        actor=caregiver,
        dedupe_key="visit:42",
    )
    again = alert_raise(
        elder=elder,
        kind="found_unwell",
        detail="仍不适",
        source="visit",
        actor=caregiver,
        dedupe_key="visit:42",
    )
    assert again.pk == alert.pk
    alert.refresh_from_db()
    assert (alert.kind, alert.priority, alert.event_count, alert.raised_by_username) == (
        "found_unwell",
        1,
        2,
        "caregiver",
    )


def test_alert_raise_checks_permission_fields_and_jurisdiction(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    with pytest.raises(PermissionDenied):
        alert_raise(
            elder=elder,
            kind="found_unwell",
            detail="x",
            source="visit",
            actor=world.user["auditor"],
        )
    with pytest.raises(ValidationError) as error:
        alert_raise(
            elder=elder, kind="ufo", detail=" ", source="moon", actor=world.user["operator"]
        )
    assert set(error.value.message_dict) == {"kind", "detail", "source"}
    with pytest.raises(PermissionDenied):
        alert_raise(
            elder=elder, kind="other", detail="x", source="manual", actor=world.user["worker_YA1a"]
        )
    assert Alert.objects.count() == 0


def test_per_elder_thresholds_are_set_by_the_service_and_audited(
    world: World, clock: Clock
) -> None:
    from yiyang.alerts.models import ElderAlertSettings
    from yiyang.alerts.services import elder_alert_settings_set

    elder = elder_with_contacts(world)
    elder_alert_settings_set(actor=world.user["community_worker"], elder=elder, heart_rate_high=150)
    assert ElderAlertSettings.objects.get(elder=elder).heart_rate_high == 150
    with pytest.raises(ValidationError):
        elder_alert_settings_set(actor=world.user["community_worker"], elder=elder, colour=3)
    with pytest.raises(PermissionDenied):
        elder_alert_settings_set(actor=world.user["operator"], elder=elder, spo2_low=88)
    event = AuditEvent.objects.get(object_type="alerts.elderalertsettings")
    assert (event.actor_username, event.changes) == (
        "community_worker",
        {"heart_rate_high": [None, 150]},
    )
