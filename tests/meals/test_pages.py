"""The meal pages render for the roles that use them (Chinese first), and stay scoped."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.models import Booking
from yiyang.meals.services import meal_serve


def test_the_counter_page_lists_only_the_staffs_canteens(meals: Meals) -> None:
    page = login(Client(), meals.staff).get("/meals/counter/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "食堂XA1a" in body and "食堂XA2a" not in body
    assert "meals/counter.js" in body
    assert "<script>" not in body.replace('<script type="application/json"', "")


def test_the_counter_page_is_refused_to_other_roles(meals: Meals, client_for: Any) -> None:
    assert client_for(Role.COMMUNITY_WORKER).get("/meals/counter/").status_code == 403


def test_index_and_canteen_pages(meals: Meals, client_for: Any) -> None:
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    for role in (Role.CITY_ADMIN, Role.COMMUNITY_WORKER, Role.PROVIDER_MANAGER, Role.FAMILY):
        assert client_for(role).get("/meals/").status_code == 200
    staff = login(Client(), meals.staff)
    page = staff.get(f"/meals/canteens/{meals.canteen.external_id}/")
    assert page.status_code == 200
    assert "kitchen-counts" in page.content.decode()
    assert staff.get(f"/meals/canteens/{meals.other.external_id}/").status_code == 404


def test_a_community_worker_books_on_the_page(meals: Meals, client_for: Any) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert worker.get("/meals/book/").status_code == 200
    response = worker.post(
        "/meals/book/",
        {
            "elder": str(meals.old.external_id),
            "canteen": str(meals.canteen.external_id),
            "day": tomorrow.isoformat(),
            "meal": "lunch",
            "mode": "dine_in",
        },
    )
    assert response.status_code == 302
    assert Booking.objects.get().elder == meals.old
    bad = worker.post(
        "/meals/book/",
        {
            "elder": str(meals.old.external_id),
            "canteen": str(meals.canteen.external_id),
            "day": "",
            "meal": "lunch",
            "mode": "dine_in",
        },
    )
    assert bad.status_code == 200 and "booking-errors" in bad.content.decode()


def test_a_community_worker_issues_and_prints_a_meal_card(meals: Meals, client_for: Any) -> None:
    from yiyang.meals.models import MealCard

    worker = client_for(Role.COMMUNITY_WORKER)
    page = worker.get("/meals/cards/")
    assert page.status_code == 200 and "王老" in page.content.decode()
    response = worker.post("/meals/cards/", {"elder": str(meals.old.external_id)})
    card = MealCard.objects.get(elder=meals.old)
    assert response.status_code == 302
    printed = worker.get(response["Location"])
    assert f"YYMC:{card.code}" in printed.content.decode()
    assert client_for(Role.PROVIDER_MANAGER).get("/meals/cards/").status_code == 403


def test_the_printed_card_carries_a_qr_code_of_its_value(meals: Meals, client_for: Any) -> None:
    import segno

    from yiyang.meals.services import card_value, meal_card_issue

    worker = client_for(Role.COMMUNITY_WORKER)
    card = meal_card_issue(actor=meals.world.user[Role.COMMUNITY_WORKER], elder=meals.old)
    body = worker.get(f"/meals/cards/{card.external_id}/print/").content.decode()
    expected = segno.make(card_value(card), error="m").svg_inline(scale=4, omitsize=True)
    assert expected in body
    assert f'data-value="{card_value(card)}"' in body


def test_the_staff_edit_dishes_and_the_weekly_menu(meals: Meals) -> None:
    from yiyang.meals.models import Dish, MenuItem

    staff = login(Client(), meals.staff)
    url = f"/meals/canteens/{meals.canteen.external_id}/menu/"
    assert staff.get(url).status_code == 200
    added = staff.post(
        url,
        {
            "action": "dish",
            "name": "清蒸鲈鱼",
            "price": "18.00",
            "labels": ["low_salt", "soft"],
            "allergens": "鱼，花生",
        },
    )
    assert added.status_code == 302
    dish = Dish.objects.get(name="清蒸鲈鱼")
    assert (dish.price, dish.labels, dish.allergens) == (
        Decimal("18.00"),
        ["low_salt", "soft"],
        ["鱼", "花生"],
    )
    negative = staff.post(url, {"action": "dish", "name": "倒贴菜", "price": "-1"})
    assert negative.status_code == 200 and "menu-errors" in negative.content.decode()
    assert not Dish.objects.filter(name="倒贴菜").exists()
    day = timezone.localdate() + datetime.timedelta(days=2)
    saved = staff.post(
        url,
        {
            "action": "menu",
            "day": day.isoformat(),
            "meal": "lunch",
            "dishes": [str(dish.external_id)],
        },
    )
    assert saved.status_code == 302
    assert list(MenuItem.objects.values_list("day", "meal", "dish__name")) == [
        (day, "lunch", "清蒸鲈鱼")
    ]
    page = staff.get(url).content.decode()
    assert f'data-day="{day.isoformat()}" data-meal="lunch"' in page
    other_dish = Dish.objects.create(canteen=meals.other, name="别家的菜")
    refused = staff.post(
        url,
        {
            "action": "menu",
            "day": day.isoformat(),
            "meal": "lunch",
            "dishes": [str(other_dish.external_id)],
        },
    )
    assert refused.status_code == 200 and "menu-errors" in refused.content.decode()
    assert MenuItem.objects.count() == 1
    assert (
        login(Client(), meals.staff)
        .get(f"/meals/canteens/{meals.other.external_id}/menu/")
        .status_code
        == 404
    )


def test_the_served_page_voids_a_meal(meals: Meals) -> None:
    served = meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch"
    ).meal
    staff = login(Client(), meals.staff)
    page = staff.get("/meals/served/").content.decode()
    assert "王老" in page
    response = staff.post("/meals/served/", {"id": str(served.external_id), "reason": "扫错"})
    assert response.status_code == 302
    served.refresh_from_db()
    assert served.void_reason == "扫错"
    assert 'class="card voided"' in staff.get(response["Location"]).content.decode()


def test_the_monthly_report_by_canteen_district_and_meal(meals: Meals, client_for: Any) -> None:
    from yiyang.meals.services import served_meal_void

    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="dinner")
    meal_serve(actor=meals.other_staff, canteen=meals.other, elder=meals.young, meal="lunch")
    wrong = meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.young, meal="dinner")
    served_meal_void(actor=meals.staff, served=wrong.meal, reason="错")
    admin = client_for(Role.CITY_ADMIN)
    page = admin.get("/meals/report/")
    assert page.status_code == 200
    context = page.context
    assert [
        (r["canteen__organisation__name"], r["meals"], r["elders"], r["subsidy"])
        for r in context["by_canteen"]
    ] == [
        ("食堂XA1a", 2, 1, Decimal("10.00")),
        ("食堂XA2a", 1, 1, Decimal("0.00")),
    ]
    assert [(r["meal"], r["meals"]) for r in context["by_meal"]] == [("dinner", 1), ("lunch", 2)]
    assert [(r["meals"], r["elders"]) for r in context["by_district"]] == [(3, 2)]
    assert context["total"]["meals"] == 3
    # The provider manager's report holds its own canteen only.
    staff = login(Client(), meals.staff).get("/meals/report/").context
    assert [r["canteen__organisation__name"] for r in staff["by_canteen"]] == ["食堂XA1a"]
