"""Demo optimiser: on the first start the demo provider's day has a finished plan run with
a visible gain over the demo's own (naive) dispatch, quickly, and only once."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.demo.assessments import demo_assessments_build
from yiyang.demo.scheduling import demo_plan_build
from yiyang.demo.services import demo_city_build, demo_elders_build
from yiyang.demo.visits import demo_visits_build
from yiyang.scheduling.models import PlanRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    demo_city_build(seed=3)
    demo_elders_build(count=800, seed=3)
    demo_assessments_build(seed=3)
    demo_visits_build(seed=3)


def test_the_demo_leaves_a_finished_plan_for_today_and_tomorrows_gains(demo: None) -> None:
    built = demo_plan_build()
    assert built.created and not built.error
    run = PlanRun.objects.get()
    manager = User.objects.get(username="provider_manager")
    assert (run.provider, run.day, run.status) == (
        manager.organisation,
        timezone.localdate(),
        "done",
    )
    assert run.accepted_at is None  # left for the manager
    client = Client()
    client.force_login(manager)
    page = client.get(f"/scheduling/plan/{run.external_id}/")
    assert page.status_code == 200 and b'id="plan-map-data"' in page.content
    day = client.get("/scheduling/day/")
    assert str(run.external_id) in day.content.decode()
    # once: a second start finds it
    again = demo_plan_build()
    assert again.existing and not again.created and PlanRun.objects.count() == 1

    # The same demo (built once: it is the slow part), tomorrow's day gains over the naive
    # plan. tomorrow: its visits are all to come whatever the time of day, some still unassigned
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    built = demo_plan_build(day=tomorrow)
    now, new = built.current, built.proposal
    assert new["unassigned"] < now["unassigned"]
    assert new["rule_breaks"] == 0
