from __future__ import annotations

import datetime

from django.utils import timezone

from tests.conftest import World
from tests.factories import OrganisationFactory
from tests.indicators.conftest import compute, dec, elder, service_item, visit
from yiyang.organisations.choices import OrganisationKind as K
from yiyang.services.models import Caregiver, Certificate
from yiyang.supervision.models import Complaint
from yiyang.visits.models import VisitFlag, VisitRating


def caregiver(provider: object, status: str = "active") -> Caregiver:
    return Caregiver.objects.create(
        provider=provider,
        name="护理员",
        work_start=datetime.time(8),
        work_end=datetime.time(18),
        status=status,
    )


def test_caregivers_per_1000_gap_and_expiring_certificates(world: World, settings: object) -> None:
    d, o = world.div, world.org
    other = OrganisationFactory(kind=K.HOME_CARE_COMPANY, division=d["XA2a"])
    first = caregiver(o["home_care"])  # in XA1b
    caregiver(o["home_care"], status="on_leave")
    caregiver(o["home_care"], status="left")
    caregiver(other)
    today = timezone.localdate()
    Certificate.objects.create(
        caregiver=first, qualification="nurse", expires_on=today + datetime.timedelta(days=10)
    )
    Certificate.objects.create(
        caregiver=first, qualification="doctor", expires_on=today + datetime.timedelta(days=40)
    )
    assert compute("caregivers", d["X"], d["XA1"], d["XA2"], d["XB"]) == [3, 2, 1, 0]
    # 3 caregivers per 2,700 census residents 60+ in XA: 1.11 per 1,000.
    assert compute("caregivers_per_1000", d["XA"], d["XB"]) == [dec("1.11"), None]
    # The norm of 5 per 1,000 asks for 13.5 -> 14 in XA; 3 there: 11 short.
    assert compute("caregiver_gap", d["XA"], d["XA1a"], d["XB"]) == [11, 5, 0]
    settings.CAREGIVER_NORM_PER_1000 = 1  # type: ignore[attr-defined]
    assert compute("caregiver_gap", d["XA"]) == [0]
    # Within 30 days of the reference day (today, in the running month).
    assert compute("certificates_expiring", d["X"], d["XA2"]) == [1, 0]


def test_visits_delivered_late_missed_flagged_and_by_category(world: World) -> None:
    d, o = world.div, world.org
    item = service_item(d["X"])
    bath = service_item(d["X"], "ZJ01", "bathing")
    a, b = elder(d["XA1a"]), elder(d["XA2a"])
    day = timezone.localdate().replace(day=1)
    p = o["home_care"]
    on_time = visit(a, p, item, day)
    late = visit(a, p, bath, day, is_late=True)
    visit(a, p, item, day, status="missed")
    visit(a, p, item, day, status="cancelled")
    rejected = visit(b, p, item, day, review_status="rejected")
    visit(b, p, item, day, outcome="not_home")
    visit(b, p, item, day - datetime.timedelta(days=1))  # last month
    VisitFlag.objects.create(visit=late, code="too_short", detail="")
    VisitFlag.objects.create(visit=late, code="out_of_range", detail="")
    VisitFlag.objects.create(visit=rejected, code="out_of_range", detail="")
    VisitRating.objects.create(visit=on_time, stars=5)
    VisitRating.objects.create(visit=late, stars=2)
    now = timezone.now()
    Complaint.objects.create(
        number="TS1",
        channel="family_page",
        organisation=p,
        division_code=a.division_code,
        visit=late,
        text="迟到",
        received_at=now,
        acknowledge_by=now,
        answer_by=now,
    )
    xa = d["XA"]
    assert compute("orders_placed", xa) == [7]
    assert compute("visits_planned", xa, d["XA1"], d["XA2"]) == [5, 3, 2]
    assert compute("visits_delivered", xa, d["XA1"], d["XA2"]) == [2, 2, 0]
    assert compute("visits_late", xa) == [1]
    assert compute("visits_missed", xa) == [1]
    assert compute("visits_on_time_share", xa, d["XA2"]) == [50, None]
    assert compute("visits_missed_share", d["XA1"], d["XB"]) == [dec("33.33"), None]
    assert compute("visits_flagged", xa, d["XA2"]) == [2, 1]
    assert compute("visit_flags_out_of_range", xa) == [2]
    assert compute("visit_flags_too_short", xa) == [1]
    assert compute("visits_delivered_cleaning", xa) == [1]
    assert compute("visits_delivered_bathing", xa) == [1]
    assert compute("ratings", xa) == [2]
    assert compute("ratings_satisfied_share", xa, d["XB"]) == [50, None]
    assert compute("complaints", xa, d["XA2"]) == [1, 0]
