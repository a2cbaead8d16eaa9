"""Pages of a canteen's staff: the weekly menu (dishes with their labels and allergens,
the dishes of each day's meals) and today's served meals with voiding of a mistake."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.meals import selectors, services
from yiyang.meals.choices import DietLabel, Meal
from yiyang.meals.permissions import covers_canteen

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
        actor=request_actor(request), canteen=canteen, name=request.POST.get("name", ""),
        price=request.POST.get("price") or None, labels=request.POST.getlist("labels"),
        allergens=allergens,
    )  # fmt: skip
    messages.success(request, _("Dish added."))


def _post_menu(request: HttpRequest, canteen: Any) -> None:
    day = datetime.date.fromisoformat(request.POST.get("day", ""))
    chosen = set(request.POST.getlist("dishes"))
    dishes = [d for d in selectors.dishes_of(canteen=canteen) if str(d.external_id) in chosen]
    if len(dishes) != len(chosen):
        raise ValidationError({"dishes": _("A dish that is not on offer here.")})
    services.menu_set(
        actor=request_actor(request), canteen=canteen, day=day,
        meal=request.POST.get("meal", ""), dishes=dishes,
    )  # fmt: skip
    messages.success(request, _("Menu saved."))


@login_required
@require_http_methods(["GET", "POST"])
def menu_edit_view(request: HttpRequest, id: str) -> HttpResponse:
    """The weekly menu of a canteen or central kitchen (a meal point shows its kitchen's)."""
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_CANTEENS)
    canteen = selectors.canteen_get_for_actor(actor=actor, external_id=id)
    if not covers_canteen(actor, canteen):
        raise Http404
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
        {"day": day, "meal": meal, "meal_label": Meal(meal).label, "dishes": [
            {"dish": d, "on": d.pk in planned.get((day, meal), set())} for d in dishes]}
        for day in days for meal in canteen.meals if meal in Meal.values
    ]  # fmt: skip
    return render(request, "meals/menu_edit.html", {
        "canteen": canteen, "start": start, "grid": grid, "errors": errors,
        "labels": DietLabel.choices, "values": request.POST,
        "dishes": [{"dish": d, "labels": _labels(d.labels)} for d in dishes],
        "previous": start - datetime.timedelta(days=MENU_DAYS),
        "next": start + datetime.timedelta(days=MENU_DAYS),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def served_view(request: HttpRequest) -> HttpResponse:
    """Meals served at the staff's canteens on a day; a mistake is voided with a reason."""
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_MEALS)
    if request.method == "POST":
        served = selectors.served_get_for_actor(actor=actor, external_id=request.POST.get("id", ""))
        try:
            services.served_meal_void(
                actor=actor, served=served, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The meal was voided; its subsidy no longer counts."))
        return redirect(f"{reverse('meals:served')}?day={served.day.isoformat()}")
    try:
        day = datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    rows = selectors.served_list(actor=actor, filters={"day": day})[:500]
    return render(request, "meals/served.html", {
        "rows": rows, "day": day, "can_void": has_perm(actor, Permission.RECORD_MEALS),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def rounds_view(request: HttpRequest, id: str) -> HttpResponse:
    """A meal-time's delivery rounds: the bookings waiting go to a courier, in route order."""
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_CANTEENS)
    canteen = selectors.canteen_get_for_actor(actor=actor, external_id=id)
    if not covers_canteen(actor, canteen):
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    try:
        day = datetime.date.fromisoformat(source.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    meal = source.get("meal") if source.get("meal") in canteen.meals else Meal.LUNCH
    couriers = selectors.courier_choices(canteen=canteen)
    if request.method == "POST":
        courier = couriers.filter(username=request.POST.get("courier", "")).first()
        try:
            stops = services.delivery_round_assign(
                actor=actor, canteen=canteen, day=day, meal=meal, courier=courier
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)s deliveries given to the courier in route order.")
                             % {"n": len(stops)})  # fmt: skip
        return redirect(f"{reverse('meals:rounds', args=[id])}?day={day.isoformat()}&meal={meal}")
    return render(request, "meals/rounds.html", {
        "canteen": canteen, "day": day, "meal": meal, "couriers": couriers,
        "meals": [(m, Meal(m).label) for m in canteen.meals if m in Meal.values],
        **selectors.delivery_rounds(canteen=canteen, day=day, meal=meal),
    })  # fmt: skip
