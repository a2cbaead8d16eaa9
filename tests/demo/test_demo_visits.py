"""Demo home care: providers with caregivers, care plans, a month of visit history with late,
missed, flagged and reviewed visits, and a board with life on it today."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.demo.assessments import demo_assessments_build
from yiyang.demo.services import demo_city_build, demo_elders_build
from yiyang.demo.settlement import demo_settlement_build
from yiyang.demo.visits import demo_visits_build
from yiyang.elders.selectors import family_elder_ids
from yiyang.services.models import Caregiver, ServiceItem
from yiyang.settlement.models import BudgetLine, Contract, Statement, StatementLine
from yiyang.supervision.models import Complaint
from yiyang.visits.choices import ReviewStatus, VisitStatus
from yiyang.visits.models import Order, Visit, VisitFlag, VisitRating
from yiyang.visits.selectors import assignment_problems, caregiver_day, dispatch_board
from yiyang.visits.services import visits_scan

pytestmark = pytest.mark.django_db

# 10:30 in the city on a Tuesday: some of today's visits done, some under way, some to come.
NOW = timezone.make_aware(datetime.datetime(2026, 11, 24, 10, 30))


@pytest.fixture
def demo() -> None:
    demo_city_build(seed=3)
    demo_elders_build(count=800, seed=3)
    demo_assessments_build(seed=3)


def test_demo_seeds_providers_plans_and_a_month_of_history(demo: None) -> None:
    built = demo_visits_build(seed=3, now=NOW)
    today = timezone.localdate(NOW)
    assert built.created == Visit.objects.count() > 500
    assert len(built.providers) == 3
    assert ServiceItem.objects.count() == 23
    assert 8 * 3 <= Caregiver.objects.count() <= 15 * 3
    assert Order.objects.filter(kind="plan").exists()
    assert Order.objects.filter(kind="one_off").exists()
    past = Visit.objects.filter(date__lt=today, date__gte=today - datetime.timedelta(days=30))
    assert past.filter(status=VisitStatus.CONFIRMED).count() > past.count() / 2
    assert past.filter(status=VisitStatus.MISSED).exists()
    assert past.filter(is_late=True, check_in_at__isnull=False).exists()  # came late
    assert past.filter(status=VisitStatus.CANCELLED).exists()
    codes = set(VisitFlag.objects.values_list("code", flat=True))
    assert {"out_of_range", "too_short", "overlap"} <= codes
    reviews = set(Visit.objects.values_list("review_status", flat=True))
    assert {ReviewStatus.PENDING, ReviewStatus.ACCEPTED, ReviewStatus.REJECTED} <= reviews
    assert VisitRating.objects.exists()
    # The family's complaint is in the city's register, as from the family page.
    assert list(Complaint.objects.values_list("channel", flat=True)) == ["family_page"]
    # Checked-in visits lie near the elder's address, with plausible durations.
    done = past.filter(status=VisitStatus.CONFIRMED, review_status=ReviewStatus.NONE)
    for visit in done[:200]:
        assert visit.check_in_distance is not None
        assert visit.check_in_distance <= 200
        minutes = (visit.check_out_at - visit.check_in_at).total_seconds() / 60
        assert visit.standard_minutes * 0.5 <= minutes <= visit.standard_minutes * 1.5
    # The history is what the rules say: the monthly scan finds nothing new.
    scan = visits_scan(start=today - datetime.timedelta(days=45), end=today)
    assert scan["scanned"] > 300
    assert scan["new_flags"] == 0
    again = demo_visits_build(seed=3, now=NOW)
    assert again.existing == built.created
    assert again.created == 0
    _board_caregiver_family_and_dispatch_refusal(today)
    _settlement_on_the_history(today)


def _settlement_on_the_history(today: datetime.date) -> None:
    """Purchased services on the same history (sharing its build): the grants shared among
    the districts, a contract per provider, last month settled, the manager's confirmed."""
    money = demo_settlement_build(today=today)
    assert (money.created, money.lines) == (True, 2)
    assert money.contracts == Contract.objects.count() == 3  # no canteen without the meals
    for line in BudgetLine.objects.all():
        shared = sum(a.amount_yuan for a in line.allocations.all())
        assert line.amount_yuan * Decimal("0.99") <= shared <= line.amount_yuan
    assert money.statements == Statement.objects.count() >= 3
    assert StatementLine.objects.filter(statement__month__month=10).count() > 50
    manager = User.objects.get(username="provider_manager")
    mine = Statement.objects.get(provider=manager.organisation)
    assert mine.status == "confirmed"
    assert Statement.objects.exclude(pk=mine.pk).filter(status="draft").count() >= 2
    assert demo_settlement_build(today=today).created is False


def _board_caregiver_family_and_dispatch_refusal(today: datetime.date) -> None:
    """The first day on the same build (the build is the slow part): a board with life on
    it, the caregiver's and the family's views, and dispatch refusing with a reason."""
    manager = User.objects.get(username="provider_manager")
    provider = manager.organisation
    assert provider is not None
    board = dispatch_board(actor=manager, provider=provider, day=today)
    assert board.counts["total"] > 0
    assert any(visits for _caregiver, visits in board.rows)
    tomorrow = dispatch_board(actor=manager, provider=provider, day=today + datetime.timedelta(1))
    assert tomorrow.unassigned
    assert tomorrow.counts["total"] > len(tomorrow.unassigned)
    caregiver = User.objects.get(username="caregiver")
    profile = Caregiver.objects.get(user=caregiver)
    assert profile.provider_id == provider.pk
    assert caregiver_day(actor=caregiver, day=today) or caregiver_day(
        actor=caregiver, day=today + datetime.timedelta(1)
    )
    family = User.objects.get(username="family")
    (elder_id,) = family_elder_ids(user=family)
    assert Visit.objects.filter(elder_id=elder_id, status=VisitStatus.CONFIRMED).exists()
    # One caregiver's elder-care certificate has expired: dispatch refuses them with the reason.
    bathing = Visit.objects.filter(provider=provider, item__code="ZY01", date__gt=today).first()
    assert bathing is not None
    problems = assignment_problems(bathing, list(Caregiver.objects.filter(provider=provider)))
    codes = {code for found in problems.values() for code, _reason in found}
    assert "expired_certificate" in codes
