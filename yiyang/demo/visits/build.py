"""The demo's home care, built once: providers and staff, orders, dispatch, what happened."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.choices import DivisionLevel
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.visits.data import (
    CITY_CODE,
    HISTORY_DAYS,
    OFFERS,
    ONE_OFF_SHAPES,
    PLAN_SHAPES,
    _t,
)
from yiyang.demo.visits.history import Assigned, _happen, _link_family, _overlaps
from yiyang.demo.visits.orders import _elders_for, _place, _Plan, _plan, _plan_item
from yiyang.demo.visits.replay import Town, ratings_given, reviews_decided, what_happened
from yiyang.demo.visits.staff import (
    _providers,
    _Roster,
    _setup_provider,
)
from yiyang.elders.models import Elder
from yiyang.organisations.models import Organisation
from yiyang.services.models import Caregiver, Certificate, ServiceItem
from yiyang.services.services import (
    service_list_load,
)
from yiyang.visits.models import Visit


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


def _build(rng: random.Random, city: Division, prefix: str, now: datetime.datetime) -> DemoVisits:
    result = DemoVisits()
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
    _place(plans, prefix)
    result.orders = len(plans)
    visits = sorted(
        (visit for plan in plans for visit in plan.visits),
        key=lambda v: (v.window_start, v.elder_id),
    )
    plan_of = {v.pk: p for p in plans for v in p.visits}
    assigned = _dispatch(world, roster, visits, plan_of)
    # What happened: the month behind, and today up to now.
    pasts = [_happen(rng, v, plan_of[v.pk], now, assigned.get(v.pk)) for v in visits]
    _overlaps(rng, pasts, now)
    town = Town(rng, now, admin, _manager(main, users), login)
    what_happened(town, pasts)
    family = users.get("family")
    if family_elder is not None and family is not None:
        first_day = today - datetime.timedelta(days=HISTORY_DAYS)
        _link_family(admin, family_elder, family, first_day)
        result.family_elder = family_elder.name
    ids = [v.pk for v in visits]
    reviews_decided(town, ids)
    ratings_given(town, ids, family_elder, family)
    result.flagged = Visit.objects.filter(pk__in=ids, flags__isnull=False).distinct().count()
    result.created = len(visits)
    result.today = sum(v.date == today for v in visits)
    result.manager_provider = main.name
    result.caregiver_login = "王秀梅" if login is not None else ""
    return result


def _manager(main: Organisation, users: dict[str, User]) -> Actor:
    """The main company's manager, who cancels and reviews (the platform when absent)."""
    manager = users.get("provider_manager")
    if manager is not None and manager.organisation_id == main.pk:
        return manager
    scope = Scope(organisation_ids=frozenset({main.pk}))
    return SystemActor(scope, username="seed-demo", role=Role.PROVIDER_MANAGER.value)


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
                (starts, ends),
                weekdays,
                (_t(start), _t(end)),
            )
        )
    return plans


def _one_off(world: _City, provider: Organisation, elder: Elder) -> _Plan:
    rng = world.rng
    code = rng.choice([c for c in ONE_OFF_SHAPES if c in world.offered[provider.pk]])
    start, end = rng.choice(ONE_OFF_SHAPES[code])
    offset = rng.choice([-25, -20, -14, -10, -6, -3, -1, 0, 0, 1, 1, 2, 4, 8])
    day = world.today + datetime.timedelta(days=offset)
    return _plan(rng, elder, provider, world.items[code], (day, day), [], (_t(start), _t(end)))


def _dispatch(
    world: _City, roster: _Roster, visits: list[Visit], plan_of: dict[int, _Plan]
) -> dict[int, Assigned]:
    """Who the dispatcher assigns, and when: the regular caregiver where possible, someone
    else on their days off; dispatched a fortnight ahead, with some of tomorrow and of today
    still to assign."""
    rng, today, now = world.rng, world.today, world.now
    horizon = today + datetime.timedelta(days=14)
    assigned: dict[int, Assigned] = {}
    for visit in visits:
        plan = plan_of[visit.pk]
        if visit.date > horizon:
            continue
        if visit.date == today + datetime.timedelta(days=1) and rng.random() < 0.3:
            continue
        if visit.date == today and visit.window_start > now and rng.random() < 0.12:
            continue
        chosen = _team(world, roster, visit, plan)
        if chosen is None:
            continue
        if not plan.regular:
            plan.regular = list(chosen)
        for caregiver in chosen:
            roster.book(caregiver, visit)
        at = max(plan.placed_at + datetime.timedelta(hours=2), visit.window_start - FORTNIGHT)
        assigned[visit.pk] = (min(at, now), chosen)
    return assigned


FORTNIGHT = datetime.timedelta(days=14)


def _team(world: _City, roster: _Roster, visit: Visit, plan: _Plan) -> list[Caregiver] | None:
    """The visit's caregivers (two for a double-up visit), or None when nobody is free."""
    wanted = 2 if visit.needs_two else 1
    chosen: list[Caregiver] = [c for c in plan.regular if roster.free(c, visit, plan.item)]
    if len(chosen) < wanted:
        team = sorted(
            (c for c in world.staff[visit.provider_id] if c not in chosen),
            key=lambda c: (roster.minutes[(c.pk, visit.date)], world.rng.random()),
        )
        for caregiver in team:
            if len(chosen) == wanted:
                break
            if roster.free(caregiver, visit, plan.item):
                chosen.append(caregiver)
    return chosen[:wanted] if len(chosen) >= wanted else None
