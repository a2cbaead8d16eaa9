"""After a fall, the page says what the service did: one rule (services.reassessment_after)
decides both, so an elder with a level but no final assessment here is advised, not told
that a re-assessment was requested."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from tests.assessments.test_pages import elder_url, final
from tests.conftest import World
from tests.factories import make_elder
from yiyang.assessments.models import Assessment
from yiyang.elders.models import Elder


@pytest.fixture
def subject(world: World) -> Elder:
    return make_elder(world.user["city_admin"], world.div["XA1a"], name="王跌倒")  # type: ignore[return-value]


def _fall(client: Client, subject: Elder) -> str:
    response = client.post(
        elder_url(subject, "risk-events/"),
        {"kind": "fall", "occurred_on": timezone.localdate().isoformat(), "note": ""},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_an_elder_with_a_level_but_no_final_assessment_is_advised_not_requested(
    world: World,
    subject: Elder,
    client_for: Callable[[str], Client],
) -> None:
    Elder.objects.filter(pk=subject.pk).update(ability_level="moderate")  # e.g. imported
    page = _fall(client_for("community_worker"), subject)
    assert "宜进行评估：请在下方申请" in page
    assert not Assessment.objects.filter(elder=subject).exists()


def test_an_assessed_elder_gets_the_reassessment_the_page_announces(
    world: World,
    subject: Elder,
    client_for: Callable[[str], Client],
) -> None:
    final(world, subject)
    page = _fall(client_for("community_worker"), subject)
    assert "即时评估" in page
    assert Assessment.objects.filter(elder=subject, reason="immediate", status="requested").exists()
