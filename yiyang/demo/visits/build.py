"""The demo's home care, built once: providers and staff, orders, dispatch, what happened."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.bulk import bulk_insert
from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.visits.data import (
    CITY_CODE,
    HISTORY_DAYS,
    OFFERS,
    ONE_OFF_SHAPES,
    PLAN_SHAPES,
    _t,
)
from yiyang.demo.visits.history import (
    _events,
    _flags,
    _happen,
    _link_family,
    _overlaps,
    _ratings,
    _reviews,
)
from yiyang.demo.visits.orders import _ALLOWANCE, _elders_for, _Plan, _plan, _plan_item
from yiyang.demo.visits.staff import (
    _providers,
    _Roster,
    _setup_provider,
)
from yiyang.elders.models import Elder
from yiyang.organisations.models import Organisation
from yiyang.services.models import Caregiver, Certificate, ServiceItem, ServiceOffering
from yiyang.services.services import (
    service_list_load,
)
from yiyang.visits.choices import (
    OrderKind,
    VisitStatus,
)
from yiyang.visits.models import (
    Order,
    Visit,
    VisitEvent,
    VisitFlag,
    VisitRating,
    VisitReview,
)


@dataclass
class DemoVisits:
    created: int = 0
    existing: int = 0
    providers: list[str] = field(default_factory=list)
    caregivers: int = 0
    orders: int = 0
    flagged: int = 0
    today: int = 0
    manager_provider: str = ""
    caregiver_login: str = ""
    family_elder: str = ""


@contextmanager
def _own_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk-written history keep its own times (auto_now/auto_now_add would stamp now)."""
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))  # type: ignore[attr-defined]
                f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add  # type: ignore[attr-defined]


def demo_visits_build(
    *, seed: int = 20261122, city_prefix: str = CITY_CODE[:4], now: datetime.datetime | None = None
) -> DemoVisits:
    """Build the demo's home care once: nothing when the city already has caregivers."""
    existing = Visit.objects.filter(division_code__startswith=city_prefix).count()
    if existing or Caregiver.objects.filter(provider__division__code__startswith=city_prefix):
        return DemoVisits(existing=existing)
    city = Division.objects.filter(code__startswith=city_prefix, level=DivisionLevel.CITY).first()
    if city is None or not Elder.objects.filter(division_code__startswith=city_prefix).exists():
        return DemoVisits()
    with transaction.atomic():
        return _build(random.Random(seed), city, city_prefix, now or timezone.now())


@dataclass
class _City:
    """What the build steps share: the providers, their staff and prices, the logins."""

    rng: random.Random
    now: datetime.datetime
    today: datetime.date
    items: dict[str, ServiceItem]
    providers: list[tuple[str, Organisation, Division]]
    main: Organisation
    users: dict[str, User]
    staff: dict[int, list[Caregiver]] = field(default_factory=dict)
    offered: dict[int, list[str]] = field(default_factory=dict)
    prices: dict[tuple[int, int], Decimal] = field(default_factory=dict)


def _build(rng: random.Random, city: Division, prefix: str, now: datetime.datetime) -> DemoVisits:
    result = DemoVisits()
    _ALLOWANCE.clear()  # per build: a cache of entitlements by elder
    today = timezone.localdate(now)
    admin = SystemActor(Scope(division_prefix=prefix), username="seed-demo")
    service_list_load(actor=admin, city=city)
    items = {i.code: i for i in ServiceItem.objects.filter(city=city)}
    providers = _providers(prefix)
    if not providers:
        return result
    login = User.objects.filter(username="caregiver", role=Role.CAREGIVER).first()
    main = next(p for role, p, _area in providers if role == "company")
    _logins_join(main, login)
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["community_worker", "operator", "family", "provider_manager"]
        )
    }
    world = _City(rng, now, today, items, providers, main, users)
    roster = _staff(world, login, result)
    plans, family_elder = _orders(world)
    result.orders = len(plans)
    visits = [visit for plan in plans for visit in plan.visits]
    visits.sort(key=lambda v: (v.window_start, v.elder_id))
    plan_of = {id(v): p for p in plans for v in p.visits}
    _dispatch(world, roster, visits, plan_of)
    # What happened: the month behind, and today up to now.
    for visit in visits:
        _happen(rng, visit, plan_of[id(visit)], now)
    _overlaps(rng, visits, now)
    _late_and_missed(visits, now)
    result.flagged, complained = _store(world, plans, visits, family_elder)
    if family_elder is not None and users.get("family") is not None:
        first_day = today - datetime.timedelta(days=HISTORY_DAYS)
        _link_family(admin, family_elder, users["family"], first_day, complained)
        result.family_elder = family_elder.name
    result.created = len(visits)
    result.today = sum(v.date == today for v in visits)
    result.manager_provider = main.name
    result.caregiver_login = "王秀梅" if login is not None else ""
    return result


def _logins_join(main: Organisation, login: User | None) -> None:
    """The caregiver login works for the main company, whose day the demo provider manager
    runs (board, dispatch, review)."""
    manager = User.objects.filter(username="provider_manager").first()
    for user in (login, manager):
        if user is not None and user.organisation_id != main.pk:
            user.organisation = main
            user.save(update_fields=["organisation"])


def _staff(world: _City, login: User | None, result: DemoVisits) -> _Roster:
    """Each provider's offerings, area and caregivers; the roster that books them."""
    sizes = {"company": 14, "company_b": 11, "station": 8}
    for role, provider, area in world.providers:
        world.staff[provider.pk] = _setup_provider(
            world.rng,
            role,
            provider,
            area,
            world.items,
            world.today,
            sizes[role],
            login if provider.pk == world.main.pk else None,
        )
        result.providers.append(provider.name)
    all_caregivers = [c for group in world.staff.values() for c in group]
    result.caregivers = len(all_caregivers)
    certs: dict[int, dict[str, Any]] = defaultdict(dict)
    for cert in Certificate.objects.filter(caregiver__in=all_caregivers):
        certs[cert.caregiver_id][cert.qualification] = cert.expires_on
    world.offered = {p.pk: OFFERS[role][0] for role, p, _a in world.providers}
    world.prices = {
        (o.provider_id, o.item_id): o.price
        for o in ServiceOffering.objects.filter(provider__in=[p for _r, p, _a in world.providers])
    }
    return _Roster(all_caregivers, certs)


def _orders(world: _City) -> tuple[list[_Plan], Elder | None]:
    """Care plans and one-off orders for each provider's elders; the family login's elder
    (a 张 of the main company) bathes on Tuesdays and Fridays."""
    used: set[int] = set()
    plans: list[_Plan] = []
    counts = {"station": 16, "company": 45, "company_b": 30}
    family_elder: Elder | None = None
    for role, provider, area in world.providers:
        elders = _elders_for(world.rng, area, used, counts[role])
        if role == "company" and elders:
            family_elder = next((e for e in elders if e.name.startswith("张")), elders[0])
        one_offs = max(4, len(elders) // 3)
        for index, elder in enumerate(elders):
            plans += _care_plans(world, provider, elder, elder == family_elder)
            if index < one_offs:
                plans.append(_one_off(world, provider, elder))
    return plans, family_elder


def _care_plans(world: _City, provider: Organisation, elder: Elder, family: bool) -> list[_Plan]:
    rng, offered = world.rng, world.offered[provider.pk]
    wanted = 2 if rng.random() < 0.25 else 1
    codes: list[str] = []
    for _ in range(wanted):
        code = _plan_item(rng, elder, offered)
        if code not in codes:
            codes.append(code)
    if family:
        codes = [c for c in ("ZY01", "ZJ01") if c in offered] or codes
    plans = []
    for code in codes:
        windows, patterns = PLAN_SHAPES[code]
        start, end = rng.choice(windows)
        if code == "ZY01" and family:
            weekdays, start, end = [1, 4], "09:00", "11:00"  # bathing Tue and Fri
        else:
            weekdays = rng.choice(patterns)
        fresh = rng.random() < 0.15
        starts = world.today - datetime.timedelta(
            days=rng.randint(2, 9) if fresh else rng.randint(HISTORY_DAYS - 2, 40)
        )
        ends = starts + datetime.timedelta(days=rng.choice([56, 63, 84]))
        plans.append(
            _plan(
                rng,
                elder,
                provider,
                world.items[code],
                starts,
                ends,
                weekdays,
                _t(start),
                _t(end),
                world.prices,
                world.users,
                OrderKind.PLAN,
            )
        )
    return plans


def _one_off(world: _City, provider: Organisation, elder: Elder) -> _Plan:
    rng = world.rng
    code = rng.choice([c for c in ONE_OFF_SHAPES if c in world.offered[provider.pk]])
    start, end = rng.choice(ONE_OFF_SHAPES[code])
    offset = rng.choice([-25, -20, -14, -10, -6, -3, -1, 0, 0, 1, 1, 2, 4, 8])
    day = world.today + datetime.timedelta(days=offset)
    return _plan(
        rng,
        elder,
        provider,
        world.items[code],
        day,
        day,
        [],
        _t(start),
        _t(end),
        world.prices,
        world.users,
        OrderKind.ONE_OFF,
    )


def _dispatch(
    world: _City, roster: _Roster, visits: list[Visit], plan_of: dict[int, _Plan]
) -> None:
    """The regular caregiver where possible, someone else on their days off; dispatched a
    fortnight ahead, with some of tomorrow and of today still to assign."""
    rng, today, now = world.rng, world.today, world.now
    horizon = today + datetime.timedelta(days=14)
    for visit in visits:
        plan = plan_of[id(visit)]
        if visit.date > horizon:
            continue
        if visit.date == today + datetime.timedelta(days=1) and rng.random() < 0.3:
            continue
        if visit.date == today and visit.window_start > now and rng.random() < 0.12:
            continue
        wanted = 2 if visit.needs_two else 1
        chosen: list[Caregiver] = [c for c in plan.regular if roster.free(c, visit, plan.item)]
        if len(chosen) < wanted:
            team = sorted(
                (c for c in world.staff[visit.provider_id] if c not in chosen),
                key=lambda c: (roster.minutes[(c.pk, visit.date)], rng.random()),
            )
            for caregiver in team:
                if len(chosen) == wanted:
                    break
                if roster.free(caregiver, visit, plan.item):
                    chosen.append(caregiver)
        if len(chosen) < wanted:
            continue
        chosen = chosen[:wanted]
        if not plan.regular:
            plan.regular = list(chosen)
        for caregiver in chosen:
            roster.book(caregiver, visit)
        visit.caregiver = chosen[0]
        visit.second_caregiver = chosen[1] if wanted == 2 else None
        visit.status = VisitStatus.ASSIGNED


WAITING = (VisitStatus.SCHEDULED, VisitStatus.ASSIGNED, VisitStatus.ON_THE_WAY, VisitStatus.MISSED)


def _late_and_missed(visits: list[Visit], now: datetime.datetime) -> None:
    """As the monitor would have marked them: late after the grace, missed after the window."""
    late_after = datetime.timedelta(minutes=settings.VISIT_LATE_AFTER_MINUTES)
    missed_after = datetime.timedelta(minutes=settings.VISIT_MISSED_AFTER_MINUTES)
    for visit in visits:
        if visit.status not in WAITING or visit.check_in_at is not None:
            continue
        if visit.window_start + late_after <= now:
            visit.is_late = True
            visit.late_notified_at = visit.window_start + late_after
        if visit.window_end + missed_after <= now and visit.status != VisitStatus.CANCELLED:
            visit.status = VisitStatus.MISSED


def _store(
    world: _City, plans: list[_Plan], visits: list[Visit], family_elder: Elder | None
) -> tuple[int, tuple[Visit, str] | None]:
    """Flags, reviews, events and ratings, written in bulk with their own times; the orders'
    audit rows. Returns the number of flagged visits and the family's complaint."""
    elder_of = {v.elder_id: v.elder for v in visits}
    flags = _flags(visits, elder_of)
    reviews = _reviews(world.rng, visits, flags, world.now, world.users.get("provider_manager"))
    with _own_timestamps(Order, Visit, VisitEvent, VisitFlag, VisitReview, VisitRating):
        bulk_insert([p.order for p in plans], set_pks=True)
        for plan in plans:
            for visit in plan.visits:
                visit.order = plan.order
        bulk_insert(visits, set_pks=True)
        bulk_insert([f for fs in flags.values() for f in fs])
        bulk_insert(reviews)
        bulk_insert(_events(visits))
        complained = _ratings(world.rng, visits, world.now, family_elder, world.users.get("family"))
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_username=p.order.placed_by_username or "seed-demo",
                action=AuditAction.CREATE,
                object_type="visits.order",
                object_id=str(p.order.external_id),
                object_repr=f"{p.item.name} · {p.order.starts_on}",
                division_code=p.order.division_code,
                changes={"order": [None, {"item": p.item.code, "dates": len(p.visits)}]},
            )
            for p in plans
        ],
        batch_size=1000,
    )
    return len(flags), complained
