"""The counter: subsidy from the entitlements, once per elder and meal-time in the whole
city, offline records replayed once, bad cards refused."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.meals.conftest import Meals
from yiyang.assessments.services import entitlements_for
from yiyang.elders.choices import ElderStatus
from yiyang.meals.models import ServedMeal
from yiyang.meals.selectors import UnknownElderError, elder_identify
from yiyang.meals.services import MealConflictError, meal_card_issue, meal_serve


def test_an_age_only_rule_reaches_an_elder_never_assessed(meals: Meals) -> None:
    found = entitlements_for(elder=meals.old)
    assert [e.rule.name for e in found] == ["80岁以上助餐补贴"]
    assert entitlements_for(elder=meals.young) == []


def test_the_counter_applies_the_subsidy_and_records_the_split(meals: Meals) -> None:
    served = meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    meal = served.meal
    assert (meal.price_yuan, meal.subsidy_yuan, meal.self_pay_yuan) == (
        Decimal("15.00"),
        Decimal("5.00"),
        Decimal("10.00"),
    )
    assert meal.subsidy_rule == meals.rules["age"]
    assert meal.organisation == meals.canteen.organisation
    assert meal.day == timezone.localdate()


def test_a_higher_level_rule_wins_over_the_age_rule(meals: Meals) -> None:
    meals.old.ability_level = "moderate"
    meals.old.save()
    meal = meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch").meal
    assert (meal.subsidy_yuan, meal.subsidy_rule) == (Decimal("8.00"), meals.rules["level"])


def test_an_elder_without_entitlement_pays_in_full(meals: Meals) -> None:
    meal = meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.young, meal="dinner"
    ).meal
    assert (meal.subsidy_yuan, meal.self_pay_yuan, meal.subsidy_rule) == (
        Decimal("0.00"),
        Decimal("12.00"),
        None,
    )


def test_the_subsidy_never_exceeds_the_price(meals: Meals) -> None:
    meals.rules["age"].amount_yuan = Decimal("9.00")
    meals.rules["age"].save()
    meal = meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="breakfast"
    ).meal
    assert (meal.subsidy_yuan, meal.self_pay_yuan) == (Decimal("5.00"), Decimal("0.00"))


def test_a_monthly_cap_limits_the_subsidy(meals: Meals, settings: object) -> None:
    settings.MEAL_SUBSIDY_MONTHLY_CAP_YUAN = "7"  # type: ignore[attr-defined]
    first = meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="breakfast")
    second = meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    assert (first.meal.subsidy_yuan, second.meal.subsidy_yuan) == (Decimal("5.00"), Decimal("2.00"))
    assert second.meal.self_pay_yuan == Decimal("13.00")


def test_a_second_meal_at_another_canteen_is_refused_with_where_and_when(meals: Meals) -> None:
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    with pytest.raises(MealConflictError) as caught:
        meal_serve(actor=meals.other_staff, canteen=meals.other, elder=meals.old, meal="lunch")
    assert "食堂XA1a" in caught.value.message
    assert ServedMeal.objects.count() == 1
    # Another meal-time the same day is fine.
    meal_serve(actor=meals.other_staff, canteen=meals.other, elder=meals.old, meal="dinner")


def test_staff_cannot_record_at_a_canteen_they_do_not_run(meals: Meals) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        meal_serve(actor=meals.staff, canteen=meals.other, elder=meals.old, meal="lunch")


def test_an_offline_record_sent_twice_is_applied_once(meals: Meals) -> None:
    client_id = uuid.uuid4()
    at = timezone.now() - datetime.timedelta(hours=3)
    first = meal_serve(
        actor=meals.staff,
        canteen=meals.canteen,
        elder=meals.old,
        meal="breakfast",
        at=at,
        client_id=client_id,
    )
    again = meal_serve(
        actor=meals.staff,
        canteen=meals.canteen,
        elder=meals.old,
        meal="breakfast",
        at=at,
        client_id=client_id,
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert again.meal.pk == first.meal.pk
    assert first.meal.recorded_offline is True
    assert ServedMeal.objects.count() == 1


def test_offline_records_out_of_order_keep_their_own_days(meals: Meals) -> None:
    now = timezone.now()
    two_days = now - datetime.timedelta(days=2)
    one_day = now - datetime.timedelta(days=1)
    for at in (one_day, two_days):  # the later one arrives first
        meal_serve(
            actor=meals.staff,
            canteen=meals.canteen,
            elder=meals.old,
            meal="lunch",
            at=at,
            client_id=uuid.uuid4(),
        )
    days = sorted(ServedMeal.objects.values_list("day", flat=True))
    assert days == [timezone.localdate(two_days), timezone.localdate(one_day)]


def test_an_offline_record_days_later_meets_an_online_meal_of_that_meal_time(meals: Meals) -> None:
    # Lunch time three days ago (not "now" minus three days: late in the evening the second
    # record would fall on the next day, another meal time).
    day = timezone.localdate() - datetime.timedelta(days=3)
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(11, 30)))
    meal_serve(actor=meals.other_staff, canteen=meals.other, elder=meals.old, meal="lunch", at=at)
    with pytest.raises(MealConflictError):
        meal_serve(
            actor=meals.staff,
            canteen=meals.canteen,
            elder=meals.old,
            meal="lunch",
            at=at + datetime.timedelta(minutes=20),
            client_id=uuid.uuid4(),
        )


def test_records_too_old_or_in_the_future_are_refused(meals: Meals) -> None:
    for at in (
        timezone.now() - datetime.timedelta(days=9),
        timezone.now() + datetime.timedelta(hours=1),
    ):
        with pytest.raises(ValidationError) as caught:
            meal_serve(
                actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch", at=at
            )
        assert "at" in caught.value.message_dict
    assert ServedMeal.objects.count() == 0


def test_a_deceased_elder_is_not_served(meals: Meals) -> None:
    meals.old.status = ElderStatus.DECEASED
    meals.old.save()
    with pytest.raises(ValidationError) as caught:
        meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    assert caught.value.message_dict["elder"] == ["This elder is recorded as deceased."]


def test_the_counter_finds_elders_by_card_and_id_number_and_refuses_bad_ones(meals: Meals) -> None:
    worker = meals.world.user["community_worker"]
    card = meal_card_issue(actor=worker, elder=meals.old)
    assert elder_identify(canteen=meals.canteen, card=f"YYMC:{card.code}") == meals.old
    from yiyang.elders.services import elder_id_number

    number = elder_id_number(meals.old)
    assert elder_identify(canteen=meals.canteen, id_number=number.lower()) == meals.old
    new_card = meal_card_issue(actor=worker, elder=meals.old)
    for bad, message in (
        ({"card": f"YYMC:{card.code}"}, "revoked"),
        ({"card": "YYMC:FFFF0000"}, "Unknown meal card"),
        ({"card": "<script>"}, "not a meal card"),
        ({"id_number": "12345"}, "Malformed ID number"),
        ({}, "Scan a meal card"),
    ):
        with pytest.raises(UnknownElderError) as caught:
            elder_identify(canteen=meals.canteen, **bad)
        assert message in str(caught.value)
    assert elder_identify(canteen=meals.canteen, card=new_card.code) == meals.old


def test_an_elder_of_another_city_is_unknown_at_the_counter(meals: Meals) -> None:
    from tests.factories import make_elder

    outsider = make_elder(meals.world.user["admin_Y"], meals.world.div["YA1a"])
    with pytest.raises(UnknownElderError):
        elder_identify(canteen=meals.canteen, elder=str(outsider.external_id))


def test_the_standing_orders_command_books_tomorrow(meals: Meals) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("book-standing-meals", "--day", "2026-01-05", stdout=out)
    assert out.getvalue().strip() == "2026-01-05: 0 booked, 0 skipped"
