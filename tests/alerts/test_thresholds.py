"""An elder's own thresholds: city defaults from the settings (and the city's JSON), the
elder's overrides set and cleared with validation and history, through the service, the
API and the alert-settings page; and the rules use them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.alerts.helpers import Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World, login, token_for
from yiyang.alerts.models import Alert, ElderAlertSettings
from yiyang.alerts.selectors import elder_thresholds
from yiyang.alerts.services import device_messages_ingest, elder_alert_settings_set, monitor_tick
from yiyang.core.models import AuditEvent


def api(world: World, role: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(world.user[role])}")


def page_client(world: World, role: str) -> Client:
    client = login(Client(), world.user[role])
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def elder(world: World) -> Any:
    return elder_with_contacts(world)


def effective(world: World, elder: Any) -> dict[str, tuple[int, int | None, int]]:
    rows = elder_thresholds(actor=world.user["operator"], elder=elder)
    return {row.name: (row.default, row.override, row.effective) for row in rows}


def test_defaults_come_from_the_settings_and_the_city(
    world: World, elder: Any, settings: Any
) -> None:
    assert effective(world, elder)["heart_rate_high"] == (130, None, 130)
    settings.ALERT_CITY_THRESHOLDS = {"4191": {"heart_rate_high": 140}}
    assert effective(world, elder)["heart_rate_high"] == (140, None, 140)


def test_overrides_are_set_cleared_and_audited(world: World, elder: Any) -> None:
    worker = world.user["community_worker"]
    elder_alert_settings_set(
        actor=worker, elder=elder, heart_rate_high=150, day_ends_hour=22, safe_zone_metres=300
    )
    assert effective(world, elder)["heart_rate_high"] == (130, 150, 150)
    assert effective(world, elder)["day_ends_hour"] == (21, 22, 22)
    elder_alert_settings_set(actor=worker, elder=elder, heart_rate_high=None)
    assert effective(world, elder)["heart_rate_high"] == (130, None, 130)
    changes = [
        (e.actor_username, e.changes)
        for e in AuditEvent.objects.filter(object_type="alerts.elderalertsettings").order_by("id")
    ]
    assert changes == [
        (
            "community_worker",
            {
                "heart_rate_high": [None, 150],
                "day_ends_hour": [None, 22],
                "safe_zone_metres": [None, 300],
            },
        ),
        ("community_worker", {"heart_rate_high": [150, None]}),
    ]


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"heart_rate_low": 20}, {"heart_rate_low"}),
        ({"spo2_low": 100}, {"spo2_low"}),
        ({"heart_rate_low": 140}, {"heart_rate_low"}),  # above the default upper limit 130
        ({"heart_rate_low": 90, "heart_rate_high": 90}, {"heart_rate_low"}),
        ({"day_starts_hour": 22}, {"day_starts_hour"}),  # after the day ends (21)
        ({"day_starts_hour": 0, "day_ends_hour": 24}, {"day_starts_hour"}),  # no night left
        ({"no_motion_hours": 15}, {"no_motion_hours"}),  # longer than the 14-hour day
        (
            {"sustained_seconds": "abc", "door_open_minutes": True},
            {"sustained_seconds", "door_open_minutes"},
        ),
        ({"colour": 3}, {"colour"}),
    ],
)
def test_implausible_or_inconsistent_values_are_refused_by_field(
    world: World, elder: Any, values: dict[str, Any], fields: set[str]
) -> None:
    with pytest.raises(ValidationError) as error:
        elder_alert_settings_set(actor=world.user["community_worker"], elder=elder, **values)
    assert set(error.value.message_dict) == fields
    assert not ElderAlertSettings.objects.filter(heart_rate_low__isnull=False).exists()
    assert AuditEvent.objects.filter(object_type="alerts.elderalertsettings").count() == 0


def test_only_those_answering_for_the_elder_set_thresholds(world: World, elder: Any) -> None:
    for role in ("operator", "auditor", "caregiver"):
        with pytest.raises(PermissionDenied):
            elder_alert_settings_set(actor=world.user[role], elder=elder, spo2_low=88)
    far = elder_with_contacts(world, "XA1b", name="赵大爷")
    with pytest.raises(PermissionDenied):
        elder_alert_settings_set(actor=world.user["community_worker"], elder=far, spo2_low=88)


def test_the_rules_use_the_elders_night_for_the_door(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    door = bound_device(world, elder, kind="door", heartbeat_interval_seconds=3600)
    # 10:00 local: daytime by the city's hours; the elder's night starts at 9 o'clock.
    elder_alert_settings_set(
        actor=world.user["community_worker"], elder=elder, day_starts_hour=4, day_ends_hour=9
    )
    device_messages_ingest(messages=[msg(door, "door", open=True, ts=clock.at.isoformat())])
    clock.advance(minutes=16)
    monitor_tick()
    assert list(Alert.objects.values_list("kind", flat=True)) == ["door_open_night"]


# --- API --------------------------------------------------------------------------------


def test_the_api_shows_defaults_overrides_and_effective_values(world: World, elder: Any) -> None:
    client = api(world, "community_worker")
    url = f"/api/v1/alert-thresholds/{elder.external_id}/"
    body = client.patch(
        url, {"spo2_low": 88, "no_motion_hours": 6}, content_type="application/json"
    ).json()
    assert body["elder"] == str(elder.external_id)
    assert (
        body["defaults"]["spo2_low"],
        body["overrides"]["spo2_low"],
        body["effective"]["spo2_low"],
    ) == (90, 88, 88)
    assert body["overrides"]["heart_rate_high"] is None
    cleared = client.patch(url, {"spo2_low": None}, content_type="application/json").json()
    assert (cleared["overrides"]["spo2_low"], cleared["effective"]["no_motion_hours"]) == (None, 6)
    read = api(world, "operator").get(url)
    assert read.status_code == 200 and read.json()["effective"]["no_motion_hours"] == 6


def test_the_api_names_each_bad_field_and_writes_nothing(world: World, elder: Any) -> None:
    client = api(world, "community_worker")
    url = f"/api/v1/alert-thresholds/{elder.external_id}/"
    for body, fields in [
        ({"heart_rate_low": 5}, ["heart_rate_low"]),
        ({"heart_rate_low": 100, "heart_rate_high": 90}, ["heart_rate_low"]),
        ({"colour": 1}, ["colour"]),
        ({"spo2_low": "x"}, ["spo2_low"]),
    ]:
        answer = client.patch(url, body, content_type="application/json")
        assert (answer.status_code, sorted(answer.json())) == (400, fields)
    assert client.patch(url, "[1]", content_type="application/json").status_code == 400
    assert ElderAlertSettings.objects.filter(elder=elder, spo2_low__isnull=False).count() == 0
    assert (
        api(world, "operator")
        .patch(url, {"spo2_low": 88}, content_type="application/json")
        .status_code
        == 403
    )
    far = elder_with_contacts(world, "YA1a", name="外城老人")
    assert client.get(f"/api/v1/alert-thresholds/{far.external_id}/").status_code == 404
    assert client.get("/api/v1/alert-thresholds/not-an-id/").status_code == 404


# --- the page ---------------------------------------------------------------------------


def test_the_settings_page_sets_and_resets_thresholds(world: World, elder: Any) -> None:
    client = page_client(world, "community_worker")
    url = f"/alerts/elders/{elder.external_id}/"
    page = client.get(url).content.decode()
    assert 'id="threshold-heart_rate_high"' in page and "City default" in page
    assert client.post(url, {"heart_rate_high": "150", "spo2_low": ""}).status_code == 302
    assert ElderAlertSettings.objects.get(elder=elder).heart_rate_high == 150
    page = client.get(url).content.decode()
    assert "own value" in page and "community_worker" in page
    bad = client.post(url, {"heart_rate_high": "150", "heart_rate_low": "160"})
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    assert client.post(url, {"reset": "1"}).status_code == 302
    assert ElderAlertSettings.objects.get(elder=elder).heart_rate_high is None


def test_the_settings_page_is_read_only_for_operators_and_hidden_outside(
    world: World, elder: Any
) -> None:
    operator = page_client(world, "operator")
    url = f"/alerts/elders/{elder.external_id}/"
    page = operator.get(url)
    assert page.status_code == 200 and 'id="save-thresholds"' not in page.content.decode()
    assert operator.post(url, {"heart_rate_high": "150"}).status_code == 403
    assert page_client(world, "worker_YA1a").get(url).status_code == 404
    assert page_client(world, "caregiver").get(url).status_code == 403
