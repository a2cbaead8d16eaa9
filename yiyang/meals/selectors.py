"""Reads of meal assistance, each scoped to the actor: canteens, menus, bookings, served
meals, the kitchen's counts, an elder identified at the counter and food-safety gaps."""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyang.accounts.models import User
from yiyang.core import crypto
from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.lookups import get_or_404
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, Role, require_perm
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder, ElderLookup
from yiyang.elders.selectors import family_elder_ids
from yiyang.elders.services import CellError, elder_health, id_hash, normalise_phone, phone_hash
from yiyang.meals.choices import (
    ACTIVE_BOOKING,
    CONDITION_NEEDS,
    BookingStatus,
    InspectionResult,
    Meal,
    MealMode,
    SafetyKind,
)
from yiyang.meals.models import (
    ZERO,
    Booking,
    Canteen,
    Dish,
    ElderDiet,
    FoodSafetyRecord,
    HealthCertificate,
    MealCard,
    MenuItem,
    ServedMeal,
    StandingOrder,
)
from yiyang.meals.permissions import is_family, same_city

CARD_PREFIX = "YYMC:"
INSPECTION_EVERY_DAYS = 183  # "safety inspections at least twice a year"
SAMPLE_DAYS_CHECKED = 7
CERTIFICATE_WARN_DAYS = 30


def canteen_queryset(*, actor: Actor) -> QuerySet[Canteen]:
    """Canteens in the actor's jurisdiction (no permission check: for choices). Family
    logins see the canteens of their linked elders' districts (where they may book)."""
    base = Canteen.objects.select_related("organisation", "facility", "kitchen__organisation")
    if is_family(actor):
        codes = Elder.objects.filter(pk__in=family_elder_ids(user=actor)).values_list(
            "division_code", flat=True
        )
        districts = sorted({code[:6] for code in codes})
        if not districts:
            return base.none()
        condition = Q()
        for district in districts:
            condition |= Q(division_code__startswith=district)
        return base.filter(condition, is_active=True)
    return actor.scope.apply(
        base, division_code_field="division_code", organisation_field="organisation_id"
    )


def canteen_list(*, actor: Actor) -> QuerySet[Canteen]:
    require_perm(actor, Permission.VIEW_MEALS)
    return canteen_queryset(actor=actor)


def canteen_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Canteen:
    require_perm(actor, Permission.VIEW_MEALS)
    return get_or_404(canteen_queryset(actor=actor), external_id=external_id)


def counter_canteen_get(*, actor: Actor, external_id: uuid.UUID | str) -> Canteen:
    """A canteen whose counter the actor runs (403 for a role that records no meals, 404
    for a canteen outside their organisation), checked before any elder is looked up."""
    require_perm(actor, Permission.RECORD_MEALS)
    return get_or_404(canteen_queryset(actor=actor), external_id=external_id)


def dish_get(*, canteen: Canteen, external_id: uuid.UUID | str | None) -> Dish | None:
    if not external_id:
        return None
    return get_or_404(dishes_of(canteen=canteen), external_id=external_id)


def bookable_elders(*, actor: Actor) -> QuerySet[Elder]:
    """Elders offered in a booking form: family their linked elders, others their
    jurisdiction's active elders (a canteen's staff identify elders at the counter)."""
    require_perm(actor, Permission.BOOK_MEALS)
    queryset = Elder.objects.filter(status=ElderStatus.ACTIVE).order_by("name", "id")
    if is_family(actor):
        return queryset.filter(pk__in=family_elder_ids(user=actor))
    if actor.scope.division_prefix is None:
        return queryset.none()
    return actor.scope.apply(queryset, division_code_field="division_code")


def bookable_elder_get(*, actor: Actor, external_id: uuid.UUID | str) -> Elder:
    """An elder the actor may book for: family their linked elders (with consent), a
    canteen's staff any elder of their canteens' cities (the elder at the counter), others
    the elders of their jurisdiction."""
    require_perm(actor, Permission.BOOK_MEALS)
    queryset = Elder.objects.select_related("community")
    if is_family(actor):
        queryset = queryset.filter(pk__in=family_elder_ids(user=actor))
    elif actor.scope.division_prefix is None:
        cities = {code[:4] for code in canteen_queryset(actor=actor).values_list(
            "division_code", flat=True)}  # fmt: skip
        condition = Q(pk__in=[])
        for city in cities:
            condition |= Q(division_code__startswith=city)
        queryset = queryset.filter(condition)
    else:
        queryset = actor.scope.apply(queryset, division_code_field="division_code")
    return get_or_404(queryset, external_id=external_id)


def valid_cards_of(elders: QuerySet[Elder]) -> list[tuple[Elder, MealCard | None]]:
    """Each elder with their valid meal card (None: never issued or revoked)."""
    rows = list(elders)
    cards = {
        c.elder_id: c for c in MealCard.objects.filter(elder__in=rows, revoked_on__isnull=True)
    }
    return [(elder, cards.get(elder.pk)) for elder in rows]


def card_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> MealCard:
    """A valid card of an elder the actor may book for (printing it)."""
    require_perm(actor, Permission.BOOK_MEALS)
    elders = bookable_elders(actor=actor)
    queryset = MealCard.objects.filter(elder__in=elders, revoked_on__isnull=True)
    return get_or_404(queryset.select_related("elder"), external_id=external_id)


def _elder_rows(actor: Actor, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Rows of elders' meals in the actor's reach: family their linked elders (with consent),
    couriers their deliveries, a canteen's staff their canteens, officers their divisions."""
    if is_family(actor):
        return queryset.filter(elder_id__in=family_elder_ids(user=actor))
    if str(actor.role) == Role.CAREGIVER.value and queryset.model is Booking:
        queryset = queryset.filter(courier_id=actor.pk)
    return actor.scope.apply(
        queryset, division_code_field="division_code", organisation_field="canteen__organisation_id"
    )


def booking_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Booking]:
    require_perm(actor, Permission.VIEW_MEALS)
    queryset = _elder_rows(
        actor, Booking.objects.select_related("elder", "canteen__organisation", "dish")
    )
    filters = filters or {}
    if filters.get("day"):
        queryset = queryset.filter(day=filters["day"])
    if filters.get("meal"):
        queryset = queryset.filter(meal=filters["meal"])
    if filters.get("canteen"):
        queryset = queryset.filter(canteen=filters["canteen"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    return queryset


def booking_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Booking:
    return get_or_404(booking_list(actor=actor), external_id=external_id)


def served_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[ServedMeal]:
    require_perm(actor, Permission.VIEW_MEALS)
    if str(actor.role) == Role.CAREGIVER.value:
        return ServedMeal.objects.none()
    queryset = _elder_rows(
        actor, ServedMeal.objects.select_related("elder", "canteen__organisation")
    )
    filters = filters or {}
    if filters.get("day"):
        queryset = queryset.filter(day=filters["day"])
    if filters.get("canteen"):
        queryset = queryset.filter(canteen=filters["canteen"])
    return queryset


def served_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> ServedMeal:
    return get_or_404(served_list(actor=actor), external_id=external_id)


def standing_order_list(*, actor: Actor) -> QuerySet[StandingOrder]:
    require_perm(actor, Permission.VIEW_MEALS)
    if str(actor.role) == Role.CAREGIVER.value:
        return StandingOrder.objects.none()
    return _elder_rows(
        actor, StandingOrder.objects.select_related("elder", "canteen__organisation")
    )


def standing_order_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> StandingOrder:
    return get_or_404(standing_order_list(actor=actor), external_id=external_id)


def menu_of(*, canteen: Canteen, start: datetime.date, days: int = 7) -> QuerySet[MenuItem]:
    """A canteen's menu for ``days`` days from ``start`` (a meal point shows its kitchen's)."""
    source = canteen.kitchen or canteen
    return (
        MenuItem.objects.filter(
            canteen=source, day__gte=start, day__lt=start + datetime.timedelta(days=days)
        )
        .select_related("dish")
        .order_by("day", "meal", "dish__name")
    )


def counter_dishes(*, canteens: list[Canteen], day: datetime.date) -> list[dict[str, Any]]:
    """The dishes on each canteen's menu for a day (a meal point's come from its kitchen),
    for the counter's dish choice: one query whatever the number of canteens."""
    source = {c.pk: (c.kitchen_id or c.pk) for c in canteens}
    items = MenuItem.objects.filter(canteen_id__in=set(source.values()), day=day).select_related(
        "dish"
    ).order_by("meal", "dish__name")  # fmt: skip
    by_source: dict[int, list[MenuItem]] = {}
    for item in items:
        by_source.setdefault(item.canteen_id, []).append(item)
    return [
        {"canteen": c.external_id, "meal": item.meal, "id": item.dish.external_id,
         "name": item.dish.name}
        for c in canteens for item in by_source.get(source[c.pk], [])
    ]  # fmt: skip


def bookable_dishes(
    *, canteens: list[Canteen], start: datetime.date, days: int = 7
) -> list[dict[str, Any]]:
    """The dishes a booking may choose: each canteen's menu (a meal point's from its
    kitchen) for ``days`` days from ``start``, with their labels, in one query."""
    source = {c.pk: (c.kitchen_id or c.pk) for c in canteens}
    items = MenuItem.objects.filter(
        canteen_id__in=set(source.values()), day__gte=start,
        day__lt=start + datetime.timedelta(days=days), dish__is_active=True,
    ).select_related("dish").order_by("day", "meal", "dish__name")  # fmt: skip
    by_source: dict[int, list[MenuItem]] = {}
    for item in items:
        by_source.setdefault(item.canteen_id, []).append(item)
    return [
        {"canteen": c, "day": item.day, "meal": item.meal, "dish": item.dish}
        for c in canteens for item in by_source.get(source[c.pk], [])
    ]  # fmt: skip


def dishes_of(*, canteen: Canteen) -> QuerySet[Dish]:
    return Dish.objects.filter(canteen=canteen.kitchen or canteen, is_active=True)


# The counter: find an elder by card, ID number, phone or id -----------------------------


class UnknownElderError(Exception):
    """The card, ID number or phone names nobody the counter may serve."""


def elder_identify(
    *, canteen: Canteen, elder: str = "", card: str = "", id_number: str = "", phone: str = ""
) -> Elder:
    """The elder a counter scanned or typed: by meal-card QR value, ID number (typed or
    swiped), phone, or the elder's id. Any elder of the canteen's city (the meal card is
    city-wide); raises UnknownElderError with a message saying what was wrong."""
    # The diet rides along (a reverse one-to-one): the counter warns from it without
    # another round trip.
    queryset = Elder.objects.select_related("community", "diet")
    found: Elder | None = None
    if card:
        code = card.strip().removeprefix(CARD_PREFIX).upper()
        if not code.isalnum() or len(code) > 32:
            raise UnknownElderError(_("This is not a meal card's QR code."))
        record = MealCard.objects.filter(code=code).select_related("elder__diet").first()
        if record is None:
            raise UnknownElderError(_("Unknown meal card."))
        if record.revoked_on is not None:
            raise UnknownElderError(
                _("This meal card was revoked on %(day)s.") % {"day": record.revoked_on}
            )
        found = record.elder
    elif id_number:
        try:
            number = parse_citizen_id("".join(id_number.split())).number
        except IdNumberError as exc:
            raise UnknownElderError(_("Malformed ID number: %(reason)s") % {"reason": exc}) from exc
        found = queryset.filter(id_number_hash=id_hash(number)).first()
    elif phone:
        try:
            digits = normalise_phone(phone)
        except CellError as exc:
            raise UnknownElderError(str(exc)) from exc
        ids = ElderLookup.objects.filter(
            kind=ElderLookup.Kind.PHONE, value_hash=phone_hash(digits)
        ).values_list("elder_id", flat=True)
        matches = list(queryset.filter(pk__in=ids)[:2])
        if len(matches) > 1:
            raise UnknownElderError(_("Several elders share this phone: scan the card instead."))
        found = matches[0] if matches else None
    elif elder:
        try:
            found = queryset.filter(external_id=uuid.UUID(str(elder))).first()
        except ValueError as exc:
            raise UnknownElderError(_("Malformed elder id.")) from exc
    else:
        raise UnknownElderError(_("Scan a meal card or type an ID number or phone."))
    if found is None or not same_city(canteen, found.division_code):
        raise UnknownElderError(_("No registered elder matches."))
    return found


@dataclass
class Diet:
    needs: set[str]
    allergies: list[str]


def elder_diet(elder: Elder) -> Diet:
    """The elder's diet needs (explicit, and implied by chronic conditions) and allergies."""
    needs: set[str] = set()
    allergies: list[str] = []
    try:  # no query when the elder was read with select_related("diet")
        record: ElderDiet | None = elder.diet
    except ElderDiet.DoesNotExist:
        record = None
    if record is not None:
        needs.update(record.needs)
        if record.allergies_ciphertext:
            text = crypto.decrypt(record.allergies_ciphertext)
            allergies = [a.strip() for a in text.split(",") if a.strip()]
    if elder.health_ciphertext:
        for condition in elder_health(elder).chronic_conditions:
            if condition in CONDITION_NEEDS:
                needs.add(CONDITION_NEEDS[condition])
    return Diet(needs, allergies)


# The kitchen and food safety -------------------------------------------------------------


def kitchen_counts(*, canteen: Canteen, day: datetime.date) -> dict[str, Any]:
    """What the kitchen cooks for a day: bookings per meal, per dish, per meal point and
    mode (a central kitchen counts its meal points' bookings too)."""
    points = [canteen.pk, *canteen.meal_points.values_list("pk", flat=True)]
    rows = Booking.objects.filter(
        canteen_id__in=points, day=day, status__in=ACTIVE_BOOKING
    ).values_list("meal", "dish__name", "canteen__organisation__name", "mode")
    per_meal: Counter[str] = Counter()
    per_dish: Counter[tuple[str, str]] = Counter()
    per_point: Counter[tuple[str, str, str]] = Counter()
    for meal, dish, point, mode in rows:
        per_meal[meal] += 1
        per_dish[(meal, dish or "")] += 1
        per_point[(meal, point, mode)] += 1
    return {
        "per_meal": dict(per_meal),
        "per_dish": sorted(per_dish.items()),
        "per_point": sorted(per_point.items()),
    }


@dataclass
class SafetyGap:
    code: str
    message: str


def safety_gaps(*, canteen: Canteen, today: datetime.date | None = None) -> list[SafetyGap]:
    """What is missing in a canteen's food-safety records (see :func:`safety_gaps_many`)."""
    return safety_gaps_many(canteens=[canteen], today=today)[canteen.pk]


def safety_gaps_many(
    *, canteens: list[Canteen], today: datetime.date | None = None
) -> dict[int, list[SafetyGap]]:
    """What is missing in each canteen's food-safety records, in four queries whatever the
    number of canteens (the page shows one, the indicator counts a city's): a sample
    retained each opening day of the last week, today's storage temperature, valid health
    certificates, an inspection within half a year (and its result)."""
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=SAMPLE_DAYS_CHECKED - 1)
    ids = [c.pk for c in canteens]
    recent = FoodSafetyRecord.objects.filter(canteen_id__in=ids, day__gte=start, day__lte=today)
    sampled = set(recent.filter(kind=SafetyKind.SAMPLE).values_list("canteen_id", "day"))
    measured = set(
        recent.filter(kind=SafetyKind.TEMPERATURE, day=today).values_list("canteen_id", flat=True)
    )
    certificates: dict[int, list[HealthCertificate]] = {i: [] for i in ids}
    for cert in HealthCertificate.objects.filter(canteen_id__in=ids).order_by("expires_on", "id"):
        certificates[cert.canteen_id].append(cert)
    last: dict[int, tuple[datetime.date, str]] = {}
    for canteen_id, day, result in (
        FoodSafetyRecord.objects.filter(
            canteen_id__in=ids, kind=SafetyKind.INSPECTION, day__lte=today
        ).order_by("canteen_id", "-day", "-at").values_list("canteen_id", "day", "result")
    ):  # fmt: skip
        last.setdefault(canteen_id, (day, result))
    return {
        c.pk: _gaps(c, today, start, sampled, c.pk in measured, certificates[c.pk], last.get(c.pk))
        for c in canteens
    }


def _gaps(
    canteen: Canteen, today: datetime.date, start: datetime.date,
    sampled: set[tuple[int, datetime.date]], measured: bool,
    certificates: list[HealthCertificate], last: tuple[datetime.date, str] | None,
) -> list[SafetyGap]:  # fmt: skip
    gaps: list[SafetyGap] = []
    for offset in range(SAMPLE_DAYS_CHECKED):
        day = start + datetime.timedelta(days=offset)
        if day.weekday() in canteen.opening_days and (canteen.pk, day) not in sampled:
            gaps.append(SafetyGap("sample", _("No sample retained on %(day)s.") % {"day": day}))
    if today.weekday() in canteen.opening_days and not measured:
        gaps.append(SafetyGap("temperature", _("No storage temperature recorded today.")))
    if not certificates:
        gaps.append(SafetyGap("certificate", _("No health certificate of kitchen staff.")))
    for cert in certificates:
        values = {"name": cert.staff_name, "day": cert.expires_on}
        if cert.expires_on < today:
            message = _("%(name)s's health certificate expired on %(day)s.") % values
            gaps.append(SafetyGap("certificate", message))
        elif cert.expires_on <= today + datetime.timedelta(days=CERTIFICATE_WARN_DAYS):
            message = _("%(name)s's health certificate expires on %(day)s.") % values
            gaps.append(SafetyGap("certificate_expiring", message))
    if last is None or last[0] < today - datetime.timedelta(days=INSPECTION_EVERY_DAYS):
        gaps.append(SafetyGap("inspection", _("No inspection in the last six months.")))
    elif last[1] == InspectionResult.FAILED:
        gaps.append(SafetyGap("inspection", _("The last inspection failed.")))
    return gaps


def courier_choices(*, canteen: Canteen) -> QuerySet[User]:
    """Who may carry a canteen's deliveries: the active caregivers and managers of the
    canteen's organisation or of the operator running it."""
    orgs = [canteen.organisation_id]
    if canteen.organisation.operator_id:
        orgs.append(canteen.organisation.operator_id)
    return User.objects.filter(
        organisation_id__in=orgs, is_active=True,
        role__in=[Role.CAREGIVER, Role.PROVIDER_MANAGER],
    ).order_by("full_name", "username")  # fmt: skip


def delivery_rounds(*, canteen: Canteen, day: datetime.date, meal: str) -> dict[str, Any]:
    """A meal-time's delivery bookings: those waiting for a courier, and each courier's
    round in route order."""
    rows = (
        Booking.objects.filter(
            canteen=canteen, day=day, meal=meal, mode=MealMode.DELIVERY, status__in=ACTIVE_BOOKING
        )
        .select_related("elder", "courier")
        .order_by("courier_id", "route_position", "id")
    )
    waiting = [b for b in rows if b.courier_id is None and b.status == BookingStatus.BOOKED]
    rounds: dict[Any, list[Booking]] = {}
    for booking in rows:
        if booking.courier_id is not None:
            rounds.setdefault(booking.courier, []).append(booking)
    return {"waiting": waiting, "rounds": list(rounds.items())}


# Reports -------------------------------------------------------------------------------


def meal_report(*, actor: Actor, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """Meals served in a period within the actor's reach, by canteen, by district (of the
    elder) and by meal: meals, distinct elders, subsidy, delivered, late deliveries.
    Voided meals are left out. Three grouped queries."""
    served = served_list(actor=actor).filter(day__gte=first, day__lte=last, voided_at__isnull=True)
    figures = {
        "meals": Count("id"), "elders": Count("elder_id", distinct=True),
        "subsidy": Sum("subsidy_yuan"), "self_pay": Sum("self_pay_yuan"),
        "delivered": Count("id", filter=Q(mode=MealMode.DELIVERY)),
    }  # fmt: skip
    by_canteen = list(
        served.order_by().values("canteen_id", "canteen__organisation__name")
        .annotate(**figures).order_by("canteen__organisation__name", "canteen_id")
    )  # fmt: skip
    late = dict(
        _elder_rows(actor, Booking.objects.filter(
            day__gte=first, day__lte=last, status=BookingStatus.DELIVERED, is_late=True))
        .order_by().values_list("canteen_id").annotate(n=Count("id"))
    )  # fmt: skip
    for row in by_canteen:
        row["late"] = late.get(row["canteen_id"], 0)
    by_meal = list(served.order_by().values("meal").annotate(**figures).order_by("meal"))
    by_district = list(
        served.order_by().annotate(district=Substr("division_code", 1, 6))
        .values("district").annotate(**figures).order_by("district")
    )  # fmt: skip
    names = {  # a district's 12-digit code is its 6-digit prefix padded with zeros
        code[:6]: name
        for code, name in Division.objects.filter(
            code__in=[r["district"].ljust(12, "0") for r in by_district]
        ).values_list("code", "name")
    }
    for row in by_district:
        row["name"] = names.get(row["district"], row["district"])
    return {"by_canteen": by_canteen, "by_meal": by_meal, "by_district": by_district,
            "total": served.aggregate(**figures)}  # fmt: skip


# Settlement ---------------------------------------------------------------------------

BILLING_KIND = "meal"
BILLING_LABEL = gettext_lazy("Served meal")


def organisation_runs_canteen(*, organisation_id: int) -> bool:
    """Whether the organisation runs a canteen or meal point (may sign a meal contract)."""
    return Canteen.objects.filter(organisation_id=organisation_id).exists()


def billable_meals(
    first: datetime.date, last: datetime.date, organisation_ids: Collection[int] | None
) -> list[dict[str, Any]]:
    """The month's served meals with a subsidy (voided ones are not) as plain rows for the
    monthly settlement's registry of line sources (settlement.sources makes them its
    lines; meals never imports settlement): the canteen's organisation bills the
    subsidy; the elder paid the self-pay at the counter."""
    queryset = ServedMeal.objects.filter(
        day__gte=first, day__lte=last, voided_at__isnull=True, subsidy_yuan__gt=0
    )
    if organisation_ids is not None:
        queryset = queryset.filter(organisation_id__in=organisation_ids)
    rows = queryset.order_by("id").values_list(
        "id", "elder_id", "division_code", "organisation_id", "day", "meal",
        "canteen__organisation__name", "price_yuan", "subsidy_yuan", "self_pay_yuan",
        "served_at",
    )  # fmt: skip
    labels = dict(Meal.choices)
    return [
        {
            "kind": BILLING_KIND,
            "source_id": pk,
            "elder_id": elder_id,
            "division_code": division,
            "provider_id": org,
            "date": day,
            "description": f"{labels.get(meal, meal)} · {canteen}",
            "price": price,
            "allowance": subsidy,
            "ltc": ZERO,
            "self_pay": self_pay,
            "start": at,
            "end": at,
        }
        for pk, elder_id, division, org, day, meal, canteen, price, subsidy, self_pay, at in (
            rows.iterator(chunk_size=5000)
        )
    ]


def not_at_home(*, actor: Actor) -> QuerySet[Booking]:
    """Deliveries where the elder was not at home (for the community worker to follow)."""
    return booking_list(actor=actor).filter(
        status=BookingStatus.NOT_AT_HOME, mode=MealMode.DELIVERY
    )


def meal_start(day: datetime.date, meal: str) -> datetime.datetime:
    hours, minutes = (int(part) for part in settings.MEAL_STARTS[meal].split(":"))
    naive = datetime.datetime.combine(day, datetime.time(hours, minutes))
    return timezone.make_aware(naive)
