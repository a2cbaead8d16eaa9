"""Meal-assistance pages: canteens (staff, officers, workers), a canteen's menu, kitchen
counts and food safety, booking (workers, the call centre, family), the counter (a tablet
at the canteen, offline-capable) and the courier's round."""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.forms import error_text
from yiyang.core.web.saving import action_done
from yiyang.meals import selectors, services
from yiyang.meals.choices import DietLabel, InspectionResult, Meal, MealMode
from yiyang.meals.permissions import covers_canteen

# Lazy: translated when a page renders, in the reader's language (not at import).
WEEKDAYS = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]


def _current_meal(now: datetime.datetime) -> str:
    hour = timezone.localtime(now).hour
    return Meal.BREAKFAST if hour < 10 else Meal.LUNCH if hour < 15 else Meal.DINNER


@login_required
def index_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    today = timezone.localdate()
    canteens = selectors.canteen_list(actor=actor).annotate(
        served_today=Count(
            "served", filter=Q(served__day=today, served__voided_at__isnull=True), distinct=True
        ),
    )
    served = selectors.served_list(actor=actor, filters={"day": today})
    totals = served.filter(voided_at__isnull=True).aggregate(
        n=Count("id"), subsidy=Sum("subsidy_yuan")
    )
    bookings = selectors.booking_list(actor=actor).filter(day__gte=today).order_by("day", "meal")
    week_ago = today - datetime.timedelta(days=7)
    return render(
        request,
        "meals/index.html",
        {
            "canteens": canteens,
            "today": today,
            "totals": totals,
            "bookings": bookings[:50],
            "not_at_home": selectors.not_at_home(actor=actor).filter(day__gte=week_ago)[:20],
            "standing": [
                (o, "、".join(str(WEEKDAYS[d]) for d in o.weekdays if 0 <= d <= 6))
                for o in selectors.standing_order_list(actor=actor).filter(is_active=True)[:50]
            ],
            "can_book": has_perm(actor, Permission.BOOK_MEALS),
            "can_record": has_perm(actor, Permission.RECORD_MEALS),
            "can_deliver": has_perm(actor, Permission.DELIVER_MEALS),
            "can_issue_cards": has_perm(actor, Permission.ISSUE_MEAL_CARDS),
        },
    )


@login_required
def canteen_view(request: HttpRequest, id: str) -> HttpResponse:
    actor = request_actor(request)
    canteen = selectors.canteen_get_for_actor(actor=actor, external_id=id)
    today = timezone.localdate()
    day = _day(request.GET.get("day")) or today
    menu: dict[tuple[datetime.date, str], list[Any]] = {}
    for item in selectors.menu_of(canteen=canteen, start=today):
        menu.setdefault((item.day, item.meal), []).append(item.dish)
    staff_view = covers_canteen(actor, canteen) and has_perm(actor, Permission.MANAGE_CANTEENS)
    counts = selectors.kitchen_counts(canteen=canteen, day=day) if staff_view else None
    return render(
        request,
        "meals/canteen.html",
        {
            "canteen": canteen,
            "day": day,
            "today": today,
            "opening_days": [WEEKDAYS[d] for d in sorted(canteen.opening_days)],
            "meals": [Meal(m).label for m in canteen.meals],
            "menu": [
                {
                    "day": d,
                    "meal": Meal(m).label,
                    "dishes": [
                        {
                            "name": dish.name,
                            "price": dish.price,
                            "labels": [
                                DietLabel(lb).label for lb in dish.labels if lb in DietLabel.values
                            ],
                        }
                        for dish in dishes
                    ],
                }
                for (d, m), dishes in sorted(menu.items())
            ],
            "counts": _counts(counts) if counts is not None else None,
            "gaps": selectors.safety_gaps(canteen=canteen, today=today),
            "staff_view": staff_view,
            "meal_choices": [(m, Meal(m).label) for m in canteen.meals if m in Meal.values],
            "results": InspectionResult.choices,
        },
    )


def _counts(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "per_meal": [(Meal(m).label, n) for m, n in sorted(raw["per_meal"].items())],
        "per_dish": [(Meal(m).label, d or _("Set meal"), n) for (m, d), n in raw["per_dish"]],
        "per_point": [
            (Meal(m).label, p, MealMode(mode).label, n) for (m, p, mode), n in raw["per_point"]
        ],
    }


def _day(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text or "")
    except ValueError:
        return None


@login_required
def counter_view(request: HttpRequest) -> HttpResponse:
    """The counter: a tablet or phone at the canteen. Scans and records through the API;
    keeps working offline (static/meals/counter.js)."""
    actor = request_actor(request)
    require_perm(actor, Permission.RECORD_MEALS)
    canteens = list(selectors.canteen_list(actor=actor).filter(is_active=True))
    texts = {
        "offline_saved": _("Saved on this tablet: it will be sent when the network is back."),
        "synced": _("Sent %(n)s queued meals."),
        "failed": _("The meal was not recorded."),
        "subsidy": _("Subsidy"),
        "self_pay": _("Self-pay"),
        "price": _("Price"),
        "recorded": _("Recorded"),
        "refused": _("Refused"),
        "queued": _("queued"),
        "already": _("Already served"),
        "login": _("Log in again to send the queued meals."),
        "camera": _("The camera cannot be used: scan with the scanner or type the number."),
        "photo": _("Photo"),
    }
    return render(
        request,
        "meals/counter.html",
        {
            "canteens": canteens,
            "meals": Meal.choices,
            "modes": MealMode.choices,
            "dishes": selectors.counter_dishes(canteens=canteens, day=timezone.localdate()),
            "current_meal": _current_meal(timezone.now()),
            "texts": texts,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def book_view(request: HttpRequest) -> HttpResponse:
    """Book a meal (community worker, call centre, a canteen's staff, family), with a dish
    of the day's menu if one is chosen. A dish that conflicts with the elder's diet needs
    or allergies is shown with its warnings and booked only once confirmed."""
    actor = request_actor(request)
    require_perm(actor, Permission.BOOK_MEALS)
    canteens = list(selectors.canteen_list(actor=actor).filter(is_active=True))
    errors: dict[str, Any] = {}
    warnings: list[str] = []
    if request.method == "POST":
        try:
            booked = _book(request, warnings)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            if booked is not None:
                return redirect(reverse("meals:index"))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return render(
        request,
        "meals/book.html",
        {
            "canteens": canteens,
            "elders": selectors.bookable_elders(actor=actor)[:200],
            "meals": Meal.choices,
            "modes": MealMode.choices,
            "weekdays": list(enumerate(WEEKDAYS)),
            "errors": errors,
            "warnings": warnings,
            "tomorrow": tomorrow,
            "values": request.POST,
            "dishes": _dish_options(canteens, timezone.localdate()),
        },
    )


def _dish_options(canteens: list[Any], start: datetime.date) -> list[dict[str, Any]]:
    """The menu's dishes as choices: which canteen, day and meal each belongs to (the
    page's script shows those of the chosen ones) and its labels in the reader's words."""
    return [
        {
            "value": o["dish"].external_id,
            "canteen": o["canteen"].external_id,
            "day": o["day"],
            "meal": o["meal"],
            "name": o["dish"].name,
            "price": o["dish"].price,
            "meal_label": Meal(o["meal"]).label,
            "labels": "、".join(
                str(DietLabel(lb).label) for lb in o["dish"].labels if lb in DietLabel.values
            ),
        }
        for o in selectors.bookable_dishes(canteens=canteens, start=start)
    ]


def _book(request: HttpRequest, warnings: list[str]) -> Any:
    """Place the booking (or standing order) the form describes; None when the chosen
    dish raised warnings not yet confirmed (``warnings`` filled, nothing written)."""
    actor = request_actor(request)
    elder = selectors.bookable_elder_get(actor=actor, external_id=request.POST.get("elder", ""))
    canteen = selectors.canteen_get_for_actor(
        actor=actor, external_id=request.POST.get("canteen", "")
    )
    day = _day(request.POST.get("day"))
    if day is None:
        raise ValidationError({"day": _("Choose a day.")})
    dish = _chosen_dish(canteen, request.POST.get("dish", ""))
    confirm = bool(request.POST.get("confirm"))
    try:
        if request.POST.getlist("weekdays"):
            _standing(request, canteen, elder, day, dish, confirm)
            return True
        booked = services.booking_place(
            actor=actor,
            canteen=canteen,
            elder=elder,
            day=day,
            dish=dish,
            meal=request.POST.get("meal", ""),
            mode=request.POST.get("mode", ""),
            confirm_diet_conflict=confirm,
        )
    except services.DietConflictError as conflict:
        warnings.extend(conflict.conflicts)
        return None
    booking = booked.booking
    done = {"meal": Meal(booking.meal).label, "day": booking.day, "name": elder.name}
    if dish is None:
        messages.success(request, _("Booked %(meal)s of %(day)s for %(name)s.") % done)
    else:
        messages.success(
            request,
            _("Booked %(meal)s of %(day)s for %(name)s: %(dish)s.") % {**done, "dish": dish.name},
        )
    for warning in booked.warnings:
        messages.warning(request, warning)
    return booking


def _chosen_dish(canteen: Any, value: str) -> Any:
    if not value:
        return None
    try:
        return selectors.dish_get(canteen=canteen, external_id=value)
    except Http404:
        raise ValidationError({"dish": _("This dish is not on the menu for that meal.")}) from None


def _standing(
    request: HttpRequest, canteen: Any, elder: Any, day: datetime.date, dish: Any, confirm: bool
) -> None:
    """A standing order from the booking form: the chosen weekdays from ``day``, until the
    optional end, with the chosen dish (or the day's default); the daily run books each
    day ahead of its cutoff."""
    try:
        weekdays = [int(d) for d in request.POST.getlist("weekdays")]
    except ValueError:
        raise ValidationError({"weekdays": _("Choose weekdays (Monday to Sunday).")}) from None
    until = request.POST.get("until") or None
    ends_on = _day(until) if until else None
    if until and ends_on is None:
        raise ValidationError({"ends_on": _("Choose a day.")})
    order = services.standing_order_place(
        actor=request_actor(request),
        canteen=canteen,
        elder=elder,
        meal=request.POST.get("meal", ""),
        mode=request.POST.get("mode", ""),
        weekdays=weekdays,
        starts_on=day,
        ends_on=ends_on,
        dish=dish,
        confirm_diet_conflict=confirm,
    )
    messages.success(
        request,
        _("Standing order placed: %(meal)s on %(days)s for %(name)s.")
        % {
            "meal": Meal(order.meal).label,
            "name": elder.name,
            "days": "、".join(str(WEEKDAYS[d]) for d in order.weekdays),
        },
    )


@login_required
@require_http_methods(["POST"])
def booking_cancel_view(request: HttpRequest, id: str) -> HttpResponse:
    """Cancel a booking before the cutoff, or end a standing order (from the index)."""
    actor = request_actor(request)
    if request.POST.get("what") == "standing":
        order = selectors.standing_order_get_for_actor(actor=actor, external_id=id)
        stop = partial(services.standing_order_stop, actor=actor, order=order)
        action_done(request, stop, _("The standing order has ended."))
    else:
        booking = selectors.booking_get_for_actor(actor=actor, external_id=id)
        cancel = partial(services.booking_cancel, actor=actor, booking=booking)
        action_done(request, cancel, _("The booking was cancelled."))
    return redirect(reverse("meals:index"))


@login_required
@require_http_methods(["GET", "POST"])
def deliveries_view(request: HttpRequest) -> HttpResponse:
    """The courier's round on a phone: stops in route order, navigation, confirm."""
    actor = request_actor(request)
    require_perm(actor, Permission.DELIVER_MEALS)
    if request.method == "POST":
        try:
            booking = selectors.booking_get_for_actor(
                actor=actor, external_id=request.POST.get("booking", "")
            )
            services.delivery_confirm(
                actor=actor, booking=booking, delivered=request.POST.get("outcome") == "delivered"
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        except services.MealConflictError as conflict:
            messages.error(request, conflict.message)
        return redirect(reverse("meals:deliveries"))
    today = timezone.localdate()
    stops = (
        selectors.booking_list(actor=actor, filters={"day": today})
        .filter(mode=MealMode.DELIVERY)
        .order_by("meal", "route_position", "id")
    )
    return render(request, "meals/deliveries.html", {"stops": stops, "today": today})


@login_required
@require_http_methods(["GET", "POST"])
def cards_view(request: HttpRequest) -> HttpResponse:
    """Meal cards of the worker's elders: issue (a lost card is revoked) and print."""
    actor = request_actor(request)
    require_perm(actor, Permission.ISSUE_MEAL_CARDS)
    if request.method == "POST":
        elder = selectors.bookable_elder_get(actor=actor, external_id=request.POST.get("elder", ""))
        try:
            card = services.meal_card_issue(actor=actor, elder=elder)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect(reverse("meals:cards"))
        return redirect(reverse("meals:card-print", args=[card.external_id]))
    elders = selectors.bookable_elders(actor=actor)[:200]
    return render(request, "meals/cards.html", {"rows": selectors.valid_cards_of(elders)})


@login_required
def card_print_view(request: HttpRequest, id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.ISSUE_MEAL_CARDS)
    card = selectors.card_get_for_actor(actor=actor, external_id=id)
    value = services.card_value(card)
    # The QR code the counter scans (a keyboard-wedge scanner or the tablet's camera);
    # drawn here as SVG so that it prints sharp and needs no script.
    qr_svg = segno.make(value, error="m").svg_inline(scale=4, omitsize=True)
    return render(
        request, "meals/card_print.html", {"card": card, "value": value, "qr_svg": qr_svg}
    )
