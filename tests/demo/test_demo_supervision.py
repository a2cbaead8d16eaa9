"""The demo city's supervision: published star levels, the evaluator's one assigned
evaluation, open complaints and an inspection plan, as the issue's interface promises."""

from __future__ import annotations

import pytest
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.demo.services import demo_city_build
from yiyang.demo.supervision import demo_supervision_build
from yiyang.supervision.choices import OPEN_COMPLAINT_STATUSES, InspectionStatus, RatingStatus
from yiyang.supervision.models import Complaint, Inspection, Rating

pytestmark = pytest.mark.django_db


def test_the_demo_has_levels_an_assignment_complaints_and_a_plan() -> None:
    demo_city_build(seed=3)
    built = demo_supervision_build(seed=3)
    assert built.created and built.published == 8
    assert Rating.objects.filter(status=RatingStatus.PUBLISHED).count() == 8
    evaluator = User.objects.get(username="evaluator")
    assigned = Rating.objects.filter(evaluator=evaluator, status=RatingStatus.SCORING)
    assert assigned.count() == 1
    assert Complaint.objects.filter(status__in=OPEN_COMPLAINT_STATUSES).count() == 6
    assert Complaint.objects.filter(channel="hotline_12345").exclude(work_order="").exists()
    planned = Inspection.objects.filter(status=InspectionStatus.PLANNED)
    assert planned.count() == built.inspections > 0
    # The published levels are in force today (the public page shows those in force).
    today = timezone.localdate()
    published = Rating.objects.filter(status=RatingStatus.PUBLISHED)
    assert all(r.published_on <= today < r.valid_until for r in published)
    assert demo_supervision_build(seed=3).created is False
