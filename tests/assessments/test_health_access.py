"""Diagnoses behind an assessment's change rules are health data (issue 19, item 6): roles
without health access see that a rule raised the level, never its grounds; every full view
is in the access log; an assessor's due list holds only their own assessments."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from tests.assessments.test_workflow import mild_answers, scheduled
from tests.conftest import World
from tests.factories import UserFactory, make_elder
from yiyang.assessments import services
from yiyang.assessments.models import Assessment
from yiyang.assessments.selectors import assessments_due
from yiyang.core.permissions import Role
from yiyang.elders.models import AccessLog, Elder

DIAGNOSIS_TEXT = "F00"  # the dementia rule's text cites 痴呆（F00～F03）


@pytest.fixture
def final_with_rules(world: World) -> Assessment:
    elder = make_elder(world.user["city_admin"], world.div["XA1a"], name="王秀英")
    assessment = scheduled(world, elder)  # type: ignore[arg-type]
    services.assessment_submit(
        actor=world.user["assessor"],
        assessment=assessment,
        values={"answers": mild_answers(), "diagnoses": ["F03"]},
    )
    return services.assessment_finalise(actor=world.user["district_officer"], assessment=assessment)


def logged(username: str) -> int:
    return AccessLog.objects.filter(actor_username=username, fields=["health"]).count()


@pytest.mark.parametrize("role", ["auditor", "street_officer"])
def test_roles_without_health_access_get_the_rules_without_their_grounds(
    role: str, final_with_rules: Assessment, client_for: Callable[[str], Client]
) -> None:
    client = client_for(role)
    api = client.get(f"/api/v1/assessments/{final_with_rules.external_id}/")
    assert api.status_code == 200
    rules = api.json()["result"]["applied_rules"]
    assert [r["rule"] for r in rules] == ["withheld"]
    assert DIAGNOSIS_TEXT not in api.content.decode()
    assert "痴呆" not in api.content.decode()
    page = client.get(f"/assessments/{final_with_rules.external_id}/")
    report = client.get(f"/assessments/{final_with_rules.external_id}/report/")
    for response in (page, report):
        assert response.status_code == 200
        assert "痴呆" not in response.content.decode()
        assert DIAGNOSIS_TEXT not in response.content.decode()
    assert logged(role) == 0


def test_health_roles_see_the_grounds_and_each_view_is_logged(
    final_with_rules: Assessment, client_for: Callable[[str], Client]
) -> None:
    client = client_for("district_officer")  # a reviewer
    before = logged("district_officer")
    api = client.get(f"/api/v1/assessments/{final_with_rules.external_id}/")
    rules = api.json()["result"]["applied_rules"]
    assert [r["rule"] for r in rules] == ["mental_disorder"]
    assert rules[0]["evidence"] == ["F03"]
    assert logged("district_officer") == before + 1
    report = client.get(f"/assessments/{final_with_rules.external_id}/report/")
    assert "F00" in report.content.decode()
    assert logged("district_officer") == before + 2


def test_rules_of_an_assessment_without_answers_are_still_logged(
    final_with_rules: Assessment, world: World
) -> None:
    """The grounds alone are health data: a view of them is logged even if the answers are
    not stored (an assessment carried over from another system)."""
    Assessment.objects.filter(pk=final_with_rules.pk).update(answers_ciphertext="")
    final_with_rules.refresh_from_db()
    seen = services.assessment_health_reveal(
        actor=world.user["district_officer"], assessment=final_with_rules
    )
    assert (seen.answers, seen.full) == (None, True)
    assert seen.result["applied_rules"][0]["rule"] == "mental_disorder"
    assert logged("district_officer") == 1


def test_an_assessors_due_list_holds_only_their_assessments(
    final_with_rules: Assessment, world: World
) -> None:
    Assessment.objects.filter(pk=final_with_rules.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    other = UserFactory(username="assessor_b", role=Role.ASSESSOR, division=world.div["XA"])
    assert [a.pk for a in assessments_due(actor=world.user["assessor"])] == [final_with_rules.pk]
    assert list(assessments_due(actor=other)) == []
    assert services.due_assessments_request(actor=other) == 0
    assert Assessment.objects.filter(elder=final_with_rules.elder).count() == 1


def test_an_assessors_due_page_and_api_hold_only_theirs(
    final_with_rules: Assessment, world: World
) -> None:
    from tests.conftest import login

    Assessment.objects.filter(pk=final_with_rules.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    other = UserFactory(username="assessor_c", role=Role.ASSESSOR, division=world.div["XA"])
    client = login(Client(), other)
    assert client.get("/api/v1/assessments/due/").json()["count"] == 0
    elder: Elder = final_with_rules.elder
    assert elder.name not in client.get("/assessments/due/").content.decode()
    mine = login(Client(), world.user["assessor"])
    assert mine.get("/api/v1/assessments/due/").json()["count"] == 1
