"""Demo assessments: a third of the elders, levels consistent with the registry, some due."""

from __future__ import annotations

import pytest
from django.utils import timezone

from yiyang.assessments.choices import AssessmentStatus
from yiyang.assessments.models import Assessment, EligibilityRule
from yiyang.assessments.selectors import assessments_due
from yiyang.assessments.services import entitlements_for
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.assessments import LEVEL_CODES, demo_assessments_build
from yiyang.demo.services import demo_city_build, demo_elders_build
from yiyang.elders.models import Elder

pytestmark = pytest.mark.django_db


def test_a_third_assessed_consistently_with_some_due_and_a_worklist() -> None:
    demo_city_build(seed=3)
    demo_elders_build(count=600, seed=3)
    built = demo_assessments_build(seed=3)
    finals = Assessment.objects.filter(status=AssessmentStatus.FINAL).select_related("elder")
    assert 190 <= finals.count() <= 210
    for assessment in finals:  # the registry's level (and disabled tag) is the final level
        assert assessment.elder.ability_level == LEVEL_CODES[assessment.final_level]
    assert Elder.objects.exclude(ability_level="").count() == finals.count()
    actor = SystemActor(Scope(division_prefix="4191"))
    due = list(assessments_due(actor=actor))
    assert 10 <= len(due) <= 80
    today = timezone.localdate()
    assert any(a.valid_until < today for a in due)  # overdue
    assert any(a.valid_until >= today for a in due)  # due within 30 days
    open_ones = Assessment.objects.exclude(status__in=["final", "superseded"])
    assert {a.status for a in open_ones} == {"requested", "scheduled", "in_progress", "submitted"}
    assert built.rules == EligibilityRule.objects.count() == 7
    assert any(entitlements_for(elder=a.elder) for a in finals)
    again = demo_assessments_build(seed=3)
    assert again.existing == Assessment.objects.count()
