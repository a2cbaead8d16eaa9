"""Delivery rounds: OR-Tools orders the doors from the canteen (an open path over the
travel model), and the round is given to a courier of the canteen in that order."""

from __future__ import annotations

import datetime
import itertools
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import UserFactory, make_elder
from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.choices import BookingStatus
from yiyang.meals.models import Booking
from yiyang.meals.routing import round_order, travel_minutes
from yiyang.meals.services import delivery_round_assign


def _length(
    start: tuple[float, float], stops: list[tuple[float, float]], order: list[int]
) -> float:
    minutes = travel_minutes([start, *stops])
    path = [0, *(i + 1 for i in order)]
    return sum(minutes[a][b] for a, b in itertools.pairwise(path))


def test_doors_on_a_street_are_visited_along_it() -> None:
    start = (34.700, 113.600)
    stops = [(34.700, 113.600 + 0.004 * k) for k in (5, 2, 7, 1, 4, 3, 6)]
    order, minutes = round_order(start, stops)
    assert [stops[i][1] for i in order] == sorted(s[1] for s in stops)
    assert minutes == pytest.approx(_length(start, stops, order))


def test_the_round_is_as_short_as_the_best_order() -> None:
    rng = random.Random(7)
    start = (34.75, 113.62)
    stops = [
        (34.75 + rng.uniform(-0.02, 0.02), 113.62 + rng.uniform(-0.02, 0.02)) for _ in range(7)
    ]
    order, minutes = round_order(start, stops)
    assert sorted(order) == list(range(7))
    best = min(_length(start, stops, list(p)) for p in itertools.permutations(range(7)))
    assert minutes == pytest.approx(best, abs=0.05)  # integer costs: hundredths of a minute


def test_a_round_goes_to_a_courier_of_the_canteen_in_route_order(meals: Meals) -> None:
    org = meals.canteen.organisation
    org.lat, org.lng = Decimal("34.700000"), Decimal("113.600000")
    org.save()
    courier = UserFactory(username="courier", role=Role.CAREGIVER, organisation=org)
    stranger = UserFactory(
        username="stranger", role=Role.CAREGIVER, organisation=meals.other.organisation
    )
    today = timezone.localdate() + datetime.timedelta(days=1)
    bookings = []
    for k, offset in enumerate((3, 1, 2)):
        elder = make_elder(meals.system, meals.world.div["XA1a"], name=f"送餐{k}")
        elder.lat, elder.lng = Decimal("34.700000"), Decimal(f"{113.600 + 0.01 * offset:.6f}")
        elder.save()
        bookings.append(
            Booking.objects.create(
                elder=elder,
                canteen=meals.canteen,
                day=today,
                meal="lunch",
                mode="delivery",
                booked_via="family",
                division_code=elder.division_code,
            )
        )
    with pytest.raises(ValidationError):
        delivery_round_assign(
            actor=meals.staff, canteen=meals.canteen, day=today, meal="lunch", courier=stranger
        )
    ordered = delivery_round_assign(
        actor=meals.staff, canteen=meals.canteen, day=today, meal="lunch", courier=courier
    )
    assert [b.elder.name for b in ordered] == ["送餐1", "送餐2", "送餐0"]
    stored = Booking.objects.order_by("route_position")
    assert [(b.elder.name, b.route_position, b.courier_id) for b in stored] == [
        ("送餐1", 1, courier.pk),
        ("送餐2", 2, courier.pk),
        ("送餐0", 3, courier.pk),
    ]
    assert all(b.status == BookingStatus.BOOKED for b in stored)


def test_elder_not_at_home_notifies_the_community_worker(
    meals: Meals, django_capture_on_commit_callbacks: Any
) -> None:
    from yiyang.alerts.models import Notification
    from yiyang.meals.services import delivery_confirm

    courier = UserFactory(
        username="courier", role=Role.CAREGIVER, organisation=meals.world.org["operator"]
    )
    booking = Booking.objects.create(
        elder=meals.old,
        canteen=meals.canteen,
        day=timezone.localdate(),
        meal="lunch",
        mode="delivery",
        booked_via="family",
        division_code=meals.old.division_code,
        courier=courier,
        route_position=1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery_confirm(actor=courier, booking=booking, delivered=False)
    notices = list(Notification.objects.filter(recipient_kind="community"))
    assert {n.recipient for n in notices} == {meals.world.user[Role.COMMUNITY_WORKER].username}
    assert all("王老" in n.message and "不在家" in n.message for n in notices)
