"""Pages of a canteen's managers and staff: the canteen's settings, the weekly menu
(dishes with their labels and allergens, the dishes of each day's meals), delivery rounds,
food-safety records, and a day's served meals with voiding of a mistake."""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.saving import action_done
from yiyang.meals import selectors, services
from yiyang.meals.choices import DietLabel, Meal
from yiyang.meals.models import Canteen
from yiyang.meals.web.views import WEEKDAYS

MENU_DAYS = 7


def _week_start(text: str | None) -> datetime.date:
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(text or "")
    except ValueError:
        return today
    return (
        day
        if today - datetime.timedelta(days=7) <= day <= today + datetime.timedelta(days=60)
        else today
    )


def _labels(codes: list[str]) -> list[str]:
    return [str(DietLabel(code).label) for code in codes if code in DietLabel.values]


def _post_dish(request: HttpRequest, canteen: Any) -> None:
    allergens = request.POST.get("allergens", "").replace("，", ",").split(",")
    services.dish_add(
        actor=request_actor(request),
        canteen=canteen,
        name=request.POST.get("name", ""),
        price=request.POST.get("price") or None,
        labels=request.POST.getlist("labels"),
        allergens=allergens,
    )
    messages.success(request, _("Dish added."))


def _post_menu(request: HttpRequest, canteen: Any) -> None:
    day = datetime.date.fromisoformat(request.POST.get("day", ""))
    chosen = set(request.POST.getlist("dishes"))
    dishes = [d for d in selectors.dishes_of(canteen=canteen) if str(d.external_id) in chosen]
    if len(dishes) != len(chosen):
        raise ValidationError({"dishes": _("A dish that is not on offer here.")})
    services.menu_set(
        actor=request_actor(request),
        canteen=canteen,
        day=day,
        meal=request.POST.get("meal", ""),
        dishes=dishes,
    )
    messages.success(request, _("Menu saved."))


@login_required
@require_http_methods(["GET", "POST"])
def menu_edit_view(request: HttpRequest, id: str) -> HttpResponse:
    """The weekly menu of a canteen or central kitchen (a meal point shows its kitchen's)."""
    actor = request_actor(request)
    canteen = selectors.canteen_get_to_manage(actor=actor, external_id=id)
    start = _week_start(request.GET.get("start") or request.POST.get("start"))
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and canteen.kitchen_id is None:
        try:
            if request.POST.get("action") == "dish":
                _post_dish(request, canteen)
            else:
                _post_menu(request, canteen)
        except ValueError:
            errors = {"day": [_("Choose a day.")]}
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect(f"{reverse('meals:menu', args=[id])}?start={start.isoformat()}")
    dishes = list(selectors.dishes_of(canteen=canteen).order_by("name", "id"))
    planned: dict[tuple[datetime.date, str], set[int]] = {}
    for item in selectors.menu_of(canteen=canteen, start=start, days=MENU_DAYS):
        planned.setdefault((item.day, item.meal), set()).add(item.dish_id)
    days = [start + datetime.timedelta(days=n) for n in range(MENU_DAYS)]
    grid = [
        {
            "day": day,
            "meal": meal,
            "meal_label": Meal(meal).label,
            "dishes": [{"dish": d, "on": d.pk in planned.get((day, meal), set())} for d in dishes],
        }
        for day in days
        for meal in canteen.meals
        if meal in Meal.values
    ]
    return render(
        request,
        "meals/menu_edit.html",
        {
            "canteen": canteen,
            "start": start,
            "grid": grid,
            "errors": errors,
            "labels": DietLabel.choices,
            "values": request.POST,
            "dishes": [{"dish": d, "labels": _labels(d.labels)} for d in dishes],
            "previous": start - datetime.timedelta(days=MENU_DAYS),
            "next": start + datetime.timedelta(days=MENU_DAYS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def served_view(request: HttpRequest) -> HttpResponse:
    """Meals served at the staff's canteens on a day; a mistake is voided with a reason."""
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_MEALS)
    if request.method == "POST":
        served = selectors.served_get_for_actor(actor=actor, external_id=request.POST.get("id", ""))
        void = partial(
            services.served_meal_void,
            actor=actor,
            served=served,
            reason=request.POST.get("reason", ""),
        )
        action_done(request, void, _("The meal was voided; its subsidy no longer counts."))
        return redirect(f"{reverse('meals:served')}?day={served.day.isoformat()}")
    try:
        day = datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    rows = selectors.served_list(actor=actor, filters={"day": day})[:500]
    return render(
        request,
        "meals/served.html",
        {
            "rows": rows,
            "day": day,
            "can_void": has_perm(actor, Permission.RECORD_MEALS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rounds_view(request: HttpRequest, id: str) -> HttpResponse:
    """A meal-time's delivery rounds: the bookings waiting go to a courier, in route order."""
    actor = request_actor(request)
    canteen = selectors.canteen_get_to_manage(actor=actor, external_id=id)
    source = request.POST if request.method == "POST" else request.GET
    try:
        day = datetime.date.fromisoformat(source.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    meal = str(source.get("meal", ""))
    if meal not in canteen.meals or meal not in Meal.values:
        meal = Meal.LUNCH.value
    couriers = selectors.courier_choices(canteen=canteen)
    if request.method == "POST":
        courier = couriers.filter(username=request.POST.get("courier", "")).first()
        action_done(
            request,
            partial(
                services.delivery_round_assign,
                actor=actor,
                canteen=canteen,
                day=day,
                meal=meal,
                courier=courier,
            ),
            lambda stops: (
                _("%(n)s deliveries given to the courier in route order.") % {"n": len(stops)}
            ),
        )
        return redirect(f"{reverse('meals:rounds', args=[id])}?day={day.isoformat()}&meal={meal}")
    return render(
        request,
        "meals/rounds.html",
        {
            "canteen": canteen,
            "day": day,
            "meal": meal,
            "couriers": couriers,
            "meals": [(m, Meal(m).label) for m in canteen.meals if m in Meal.values],
            **selectors.delivery_rounds(canteen=canteen, day=day, meal=meal),
        },
    )


@login_required
@require_http_methods(["POST"])
def safety_view(request: HttpRequest, id: str) -> HttpResponse:
    """Record a sample retained, a storage temperature, an inspection or a kitchen worker's
    health certificate (the forms on the canteen's page)."""
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_CANTEENS)
    canteen = selectors.canteen_get_for_actor(actor=actor, external_id=id)
    post = request.POST

    def record() -> Any:
        if post.get("kind") == "certificate":
            return services.certificate_add(
                actor=actor,
                canteen=canteen,
                staff_name=post.get("staff_name", ""),
                number=post.get("number", ""),
                expires_on=_date(post.get("expires_on"), "expires_on"),
            )
        return services.safety_record_add(
            actor=actor,
            canteen=canteen,
            kind=post.get("kind", ""),
            recorded_by_name=post.get("recorded_by_name", ""),
            temperature_c=post.get("temperature_c"),
            meal=post.get("meal", ""),
            place=post.get("place", ""),
            result=post.get("result", ""),
            note=post.get("note", ""),
        )

    action_done(request, record, _("Food-safety record saved."))
    return redirect(reverse("meals:canteen", args=[id]) + "#safety-gaps")


def _date(text: str | None, field: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text or "")
    except ValueError:
        raise ValidationError({field: _("Choose a day.")}) from None


NUMBER_FIELDS = ("seats", "capacity_per_meal", "cutoff_minutes")
PRICE_FIELDS = ("price_breakfast", "price_lunch", "price_dinner", "delivery_fee")
FLAG_FIELDS = ("delivers", "subsidy_accepted", "is_active")


def _fields(canteen: Any, names: tuple[str, ...]) -> list[tuple[str, Any, Any]]:
    """(name, label, value) of the canteen's fields, for the form."""
    return [(n, Canteen._meta.get_field(n).verbose_name, getattr(canteen, n)) for n in names]  # type: ignore[union-attr]


def _canteen_values(post: Any) -> dict[str, Any]:
    """The canteen form's values as the service takes them (it judges them)."""
    values: dict[str, Any] = {
        "opening_days": [int(d) for d in post.getlist("opening_days") if d.isdigit()],
        "meals": post.getlist("meals"),
    }
    for name in ("opens_at", "closes_at"):
        text = post.get(name, "").strip()
        try:
            values[name] = datetime.time.fromisoformat(text) if text else None
        except ValueError:
            values[name] = text  # the service names the field
    for name in NUMBER_FIELDS:
        text = post.get(name, "").strip()
        values[name] = int(text) if text.isdigit() else text
    for name in PRICE_FIELDS:
        values[name] = post.get(name, "").strip()
    for name in FLAG_FIELDS:
        values[name] = post.get(name) == "on"
    return values


@login_required
@require_http_methods(["GET", "POST"])
def canteen_edit_view(request: HttpRequest, id: str) -> HttpResponse:
    """A canteen's opening days, meals, seats and capacity, prices, cutoff and delivery."""
    actor = request_actor(request)
    canteen = selectors.canteen_get_to_manage(actor=actor, external_id=id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.canteen_update(actor=actor, canteen=canteen, **_canteen_values(request.POST))
        except ValidationError as exc:
            errors = exc.message_dict
            canteen.refresh_from_db()
        else:
            messages.success(request, _("The canteen's settings were saved."))
            return redirect(reverse("meals:canteen", args=[id]))
    return render(
        request,
        "meals/canteen_edit.html",
        {
            "canteen": canteen,
            "errors": errors,
            "weekdays": list(enumerate(WEEKDAYS)),
            "meal_choices": Meal.choices,
            "numbers": _fields(canteen, NUMBER_FIELDS),
            "prices": _fields(canteen, PRICE_FIELDS),
            "flags": _fields(canteen, FLAG_FIELDS),
        },
    )


@login_required
def report_view(request: HttpRequest) -> HttpResponse:
    """A month's meals in the reader's reach: by canteen, by district and by meal."""
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_MEALS)
    today = timezone.localdate()
    try:
        first = datetime.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        first = today.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    report = selectors.meal_report(actor=actor, first=first, last=last)
    for row in report["by_meal"]:
        row["label"] = Meal(row["meal"]).label
    return render(request, "meals/report.html", {"first": first, **report})
