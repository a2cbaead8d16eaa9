"""Demo devices and alert history, written through the live services."""

from __future__ import annotations

import pytest

from yiyang.alerts.models import Alert
from yiyang.demo.devices import demo_devices_build
from yiyang.demo.services import demo_city_build, demo_elders_build
from yiyang.devices.models import Device, DeviceEvent

pytestmark = pytest.mark.django_db


def test_devices_are_bound_and_three_months_of_alerts_are_handled() -> None:
    demo_city_build(seed=3)
    demo_elders_build(count=120, seed=3)
    built = demo_devices_build(elders=30, seed=3)
    # 30 pendants, 10 watches, 6 elders with door, motion and smoke sensors.
    assert (built.created, Device.objects.filter(elder__isnull=False).count()) == (58, 58)
    assert set(Device.objects.values_list("vendor", flat=True)) == {"yiyang", "anxin"}
    assert built.alerts >= 90
    history = Alert.objects.exclude(status__in=["open", "acknowledged"])
    assert history.count() == built.alerts
    assert not history.filter(acknowledged_at__isnull=True).exists()
    assert history.filter(status="reviewed").count() > built.alerts * 0.8
    assert DeviceEvent.objects.filter(msg_id__startswith="hist-").count() >= built.alerts
    assert Alert.objects.filter(status="open", kind="found_unwell").count() == 1
    assert demo_devices_build(elders=30, seed=3).existing == 58
