"""Delivery: a meal-time's delivery bookings given to a courier in route order (an
optimised path from the canteen, ``yiyang.meals.routing``), and the courier's confirmation
(delivered, with time and place, which records the served meal and its subsidy; or the
elder not at home)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiyang.accounts.models import User
from yiyang.alerts.choices import RecipientKind
from yiyang.alerts.services import notification_send
from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, Role, require_perm
from yiyang.meals.choices import BookingStatus, Meal, MealMode
from yiyang.meals.models import Booking, Canteen
from yiyang.meals.routing import round_order
from yiyang.meals.selectors import courier_choices, meal_start
from yiyang.meals.services.common import require_canteen
from yiyang.meals.services.counter import serve_authorised


def route_order(start: tuple[float, float] | None, stops: list[Booking]) -> list[Booking]:
    """The round in route order (OR-Tools over the travel model, from the canteen; from
    the first door when the canteen has no coordinates); doors without coordinates last."""
    placed = [b for b in stops if b.elder.lat is not None and b.elder.lng is not None]
    rest = [b for b in stops if b not in placed]
    if not placed:
        return rest
    points = [(float(b.elder.lat), float(b.elder.lng)) for b in placed]  # type: ignore[arg-type]
    if start is None:
        order, _minutes = round_order(points[0], points[1:])
        return [placed[0], *(placed[i + 1] for i in order), *rest]
    order, _minutes = round_order(start, points)
    return [placed[i] for i in order] + rest


@transaction.atomic
def delivery_round_assign(
    *, actor: Actor, canteen: Canteen, day: datetime.date, meal: str, courier: object
) -> list[Booking]:
    """Give the meal-time's unassigned delivery bookings to ``courier``, in route order."""
    require_canteen(actor, Permission.MANAGE_CANTEENS, canteen)
    courier_pk = getattr(courier, "pk", None)
    if courier_pk is None or not courier_choices(canteen=canteen).filter(pk=courier_pk).exists():
        raise ValidationError({"courier": _("Choose a courier of this canteen.")})
    stops = list(
        Booking.objects.select_for_update()
        .filter(
            canteen=canteen,
            day=day,
            meal=meal,
            mode=MealMode.DELIVERY,
            status=BookingStatus.BOOKED,
            courier__isnull=True,
        )
        .select_related("elder")
    )
    org = canteen.organisation
    start = (
        (float(org.lat), float(org.lng)) if org.lat is not None and org.lng is not None else None
    )
    ordered = route_order(start, stops)
    for position, booking in enumerate(ordered, start=1):
        booking.courier = courier  # type: ignore[assignment]
        booking.route_position = position
        booking.save(update_fields=["courier", "route_position", "updated_at"])
    audit_change(
        actor,
        AuditAction.UPDATE,
        canteen,
        {"delivery_round": [None, {"day": day.isoformat(), "meal": meal, "stops": len(ordered)}]},
    )
    return ordered


def delivery_confirm(
    *,
    actor: Actor,
    booking: Booking,
    delivered: bool,
    at: datetime.datetime | None = None,
    lat: Decimal | None = None,
    lng: Decimal | None = None,
) -> Booking:
    """The courier hands the meal over (recorded as served, with its subsidy, late when
    past the meal's start plus MEAL_LATE_DELIVERY_MINUTES) or finds nobody at home (the
    community worker sees it in their list)."""
    require_perm(actor, Permission.DELIVER_MEALS)
    # The courier it is assigned to, or a manager of the canteen's operator on their behalf.
    if not actor.scope.covers(
        division_code=booking.division_code,
        organisation_id=booking.canteen.organisation_id,
        worker_ids=(booking.courier_id,),
    ):
        raise Http404
    if booking.mode != MealMode.DELIVERY or booking.status != BookingStatus.BOOKED:
        raise ValidationError({"status": _("This delivery is not open.")})
    at = at or timezone.now()
    if delivered and timezone.localdate(at) != booking.day:
        raise ValidationError({"at": _("This meal is booked for %(day)s.") % {"day": booking.day}})
    late_after = meal_start(booking.day, booking.meal) + datetime.timedelta(
        minutes=settings.MEAL_LATE_DELIVERY_MINUTES
    )
    with transaction.atomic():
        if delivered:
            serve_authorised(
                actor=actor,
                canteen=booking.canteen,
                elder=booking.elder,
                meal=booking.meal,
                mode=MealMode.DELIVERY,
                dish=booking.dish,
                at=at,
                client_id=None,
                now=None,
            )
        booking.delivered_at, booking.delivered_lat, booking.delivered_lng = at, lat, lng
        booking.is_late = delivered and at > late_after
        booking.status = BookingStatus.DELIVERED if delivered else BookingStatus.NOT_AT_HOME
        booking.save()
        audit_change(
            actor,
            AuditAction.UPDATE,
            booking,
            {
                "status": [BookingStatus.BOOKED, booking.status],
                "late": [None, booking.is_late],
            },
        )
        if not delivered:
            transaction.on_commit(lambda: _notify_not_at_home(booking))
    return booking


def _notify_not_at_home(booking: Booking) -> None:
    """Tell the community workers of the elder's community that nobody opened the door
    (through the notification channels; the index page lists it too)."""
    workers = list(
        User.objects.filter(
            role=Role.COMMUNITY_WORKER, is_active=True, division__code=booking.division_code
        ).values_list("username", flat=True)[:5]
    )
    with translation.override(settings.LANGUAGE_CODE):
        message = _(
            "%(elder)s was not at home for the %(meal)s delivered from %(canteen)s on %(day)s."
        ) % {
            "elder": booking.elder.name,
            "meal": Meal(booking.meal).label,
            "canteen": booking.canteen.organisation.name,
            "day": booking.day.isoformat(),
        }
    for username in workers:
        notification_send(
            recipient_kind=RecipientKind.COMMUNITY,
            recipient=username,
            message=message,
            division_code=booking.division_code,
        )
