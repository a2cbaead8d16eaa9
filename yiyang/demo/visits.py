"""Demo home care: the city's service list, three providers with their offerings, areas and
caregivers, care plans and one-off orders, and a month of visit history, so that the
dispatch board, the caregiver's phone, the review queue and the family page show life on the
first start.

Set-up (service list, offerings, areas, caregivers, certificates, the family link and its
consent) goes through the services, audited. The orders and visits of the past cannot (an
order cannot start in the past), so they are written in bulk, as the services would have
left them: statuses, lateness, check-in and check-out with the phone's position and its
distance from the elder's address, flags raised by the same rules (``yiyang.visits.rules``)
with the same details, reviews, ratings and a complaint. Deterministic for a seed and a day.
"""

from __future__ import annotations

import datetime
import math
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
from yiyang.demo.elders import CHILD_GIVEN, SURNAMES
from yiyang.elders.choices import ConsentGiver, ConsentPurpose, ElderStatus, Relation
from yiyang.elders.models import Elder
from yiyang.elders.services import consent_record, family_member_link
from yiyang.organisations.choices import OrganisationKind
from yiyang.organisations.models import Organisation
from yiyang.services.choices import Qualification, Skill
from yiyang.services.models import Caregiver, Certificate, ServiceItem, ServiceOffering
from yiyang.services.services import (
    caregiver_save,
    certificate_add,
    offering_set,
    service_areas_set,
    service_list_load,
)
from yiyang.supervision.services import complaint_from_family
from yiyang.visits.choices import (
    FlagCode,
    OrderKind,
    OrderStatus,
    PlacedVia,
    ReviewStatus,
    VisitOutcome,
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
from yiyang.visits.rules import Facts, cross_visit_flags, distance_m, single_visit_flags
from yiyang.visits.services import monthly_allowance, plan_dates

CITY_CODE = "419100000000"
HISTORY_DAYS = 30
# Offered items by provider role, with the price as a share of the city's standard price.
OFFERS = {
    "company": (
        [
            "ZY01",
            "ZY02",
            "ZY03",
            "ZJ01",
            "ZJ02",
            "ZJ03",
            "HL01",
            "HL02",
            "HL03",
            "ZYI01",
            "ZYI02",
            "ZYI03",
            "JW01",
            "JW03",
            "ZC02",
            "KF02",
            "ZJI01",
        ],
        (1.0, 1.12),
    ),
    "company_b": (
        [
            "ZC01",
            "ZC02",
            "ZJ01",
            "ZJ02",
            "HL01",
            "HL03",
            "JW01",
            "JW03",
            "ZYI02",
            "ZX01",
            "KF02",
            "ZY03",
        ],
        (0.95, 1.06),
    ),
    "station": (["ZC01", "ZY03", "ZJ01", "JW01", "JW03", "ZJI02", "HL01", "ZX01"], (0.85, 0.95)),
}
# (qualifications held, skills): caregivers cycle through these profiles.
PROFILES: list[tuple[list[str], list[str]]] = [
    (["elder_care_worker"], ["bathing", "hoist_transfer", "cleaning"]),
    (["elder_care_worker"], ["dementia_care", "cleaning", "counselling", "hoist_transfer"]),
    (["elder_care_worker"], ["bathing", "massage", "hoist_transfer"]),
    (["elder_care_worker", "food_handler"], ["cooking", "cleaning"]),
    (["nurse", "elder_care_worker"], ["wound_care", "escort"]),
    (["food_handler"], ["cleaning", "escort", "cooking"]),
    (["elder_care_worker"], ["hoist_transfer", "escort", "massage"]),
    (["food_handler"], ["cooking", "escort", "driving"]),
]
# (working days, from, to, most minutes a day)
HOURS = [
    ([0, 1, 2, 3, 4], "08:00", "17:00", 420),
    ([0, 1, 2, 3, 4, 5], "08:00", "16:30", 400),
    ([1, 2, 3, 4, 5, 6], "08:30", "17:30", 420),
    ([0, 1, 2, 3, 4], "07:30", "16:00", 420),
    ([2, 3, 4, 5, 6, 0], "08:00", "17:00", 420),
]
# Item -> (windows to choose from, weekday patterns for a plan).
PLAN_SHAPES: dict[str, tuple[list[tuple[str, str]], list[list[int]]]] = {
    "ZY01": ([("09:00", "11:00"), ("14:00", "16:00")], [[1, 4], [0, 3], [2, 5]]),
    "ZY02": ([("09:00", "11:00"), ("14:00", "16:30")], [[2], [4], [1, 4]]),
    "ZY03": ([("10:00", "11:00"), ("15:00", "16:00")], [[2], [5]]),
    "ZJ01": ([("14:00", "16:30"), ("09:00", "11:30")], [[0], [3], [1, 4]]),
    "ZJ02": ([("10:00", "11:30"), ("15:00", "16:30")], [[2], [5], [0, 3]]),
    "HL01": ([("08:30", "10:00"), ("14:30", "16:00")], [[0, 2, 4], [1, 3], [0, 1, 2, 3, 4]]),
    "HL02": ([("09:30", "11:00"), ("14:00", "15:30")], [[0, 3], [1, 4], [0, 2, 4]]),
    "HL03": ([("09:00", "11:30"), ("13:30", "16:00")], [[1, 4], [0, 2, 4]]),
    "ZYI02": ([("09:00", "11:00"), ("14:00", "16:00")], [[0], [3]]),
    "ZYI03": ([("08:30", "09:30"), ("16:00", "17:00")], [[1, 4], [0, 2, 4]]),
    "JW01": ([("15:00", "16:30"), ("10:00", "11:30")], [[2], [4], [1, 5]]),
    "JW03": ([("10:00", "11:00"), ("15:30", "16:30")], [[1], [3], [0, 4]]),
    "ZC01": (
        [
            ("10:30", "11:00"),
            ("10:45", "11:15"),
            ("11:00", "11:30"),
            ("11:15", "11:45"),
            ("11:30", "12:00"),
            ("11:45", "12:15"),
        ],
        [[0, 1, 2, 3, 4], [0, 2, 4]],
    ),
    "ZC02": ([("10:30", "12:00"), ("16:00", "17:30")], [[0, 2, 4], [1, 3]]),
    "KF02": ([("09:30", "10:30"), ("14:30", "15:30")], [[1, 4], [2]]),
    "ZX01": ([("15:00", "16:30"), ("09:00", "10:30")], [[1, 3], [5]]),
}
ONE_OFF_SHAPES: dict[str, list[tuple[str, str]]] = {
    "ZYI01": [("08:00", "12:00"), ("13:00", "17:00")],
    "ZJ03": [("09:00", "11:30"), ("14:00", "16:30")],
    "ZY03": [("10:00", "11:00"), ("15:00", "16:00")],
    "ZJI01": [("10:00", "11:30"), ("14:00", "15:30")],
    "ZJI02": [("09:30", "10:30"), ("14:30", "15:30")],
    "ZYI02": [("09:00", "11:00")],
    "JW01": [("15:00", "16:30")],
    "ZJ01": [("14:00", "16:30")],
}
NOTES = [
    "老人精神状态良好，午饭吃了一碗面。",
    "已提醒老人按时服用降压药。",
    "地面湿滑处已放防滑垫。",
    "老人说膝盖有些疼，建议家属带去复查。",
    "冰箱里的剩菜已清理。",
    "和老人聊了半小时家常，心情不错。",
]
NOT_HOME_NOTES = [
    "敲门无人应答，电话联系女儿，得知老人去医院复查了。",
    "老人去女儿家小住，家属忘记取消预约。",
]
CANCEL_REASONS = ["老人住院", "家属临时有事", "老人外出探亲", "老人身体不适，改天再约"]
RATING_COMMENTS = {
    5: ["护理员很细心，老人很满意。", "准时到，干活利索。", "小王很有耐心，谢谢！", ""],
    4: ["总体不错。", "服务挺好，就是来得稍晚。", ""],
    3: ["一般，清洁不太彻底。", "时间有点短。"],
    2: ["迟到四十分钟，也没有提前打电话。"],
}
COMPLAINT_TEXT = (
    "护理员比约定时间晚了四十多分钟，没有提前打电话说明，老人一直在门口等。"
    "希望以后迟到能提前告知家属。"
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


def _t(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


def _aware(day: datetime.date, at: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))


def _district(division: Division) -> Division:
    return Division.objects.get(code=division.code[:6] + "000000")


def _street(division: Division) -> Division:
    return Division.objects.get(code=division.code[:9] + "000")


def _providers(city_prefix: str) -> list[tuple[str, Organisation, Division]]:
    """The demo providers: the caregiver login's home-care company (serving its district),
    another home-care company in another urban district, and a community station (serving
    its street, inside the first company's district)."""
    companies = (
        Organisation.objects.filter(
            kind=OrganisationKind.HOME_CARE_COMPANY, division__code__startswith=city_prefix
        )
        .select_related("division")
        .order_by("id")
    )
    login = User.objects.filter(username="caregiver").select_related("organisation").first()
    first = login.organisation if login is not None and login.organisation else companies.first()
    if first is None or first.division is None:
        return []
    district = _district(first.division)
    second = next(
        (
            c
            for c in companies
            if c.division
            and not c.division.code.startswith(district.code[:6])
            and c.division.is_urban
        ),
        None,
    )
    stations = (
        Organisation.objects.filter(
            kind=OrganisationKind.COMMUNITY_STATION, division__code__startswith=district.code[:6]
        )
        .select_related("division")
        .order_by("-operator_id", "id")
    )
    station = next(
        (s for s in stations if s.division and s.division.code[:9] != first.division.code[:9]),
        stations.first(),
    )
    found = [("company", first, district)]
    if station is not None and station.division is not None:
        found.insert(0, ("station", station, _street(station.division)))
    if second is not None and second.division is not None:
        found.append(("company_b", second, _district(second.division)))
    return found


def _qualified(
    caregiver: Caregiver, item: ServiceItem, day: datetime.date, certs: dict[int, dict[str, Any]]
) -> bool:
    if item.required_skill and item.required_skill not in caregiver.skills:
        return False
    if item.required_qualification:
        held = certs.get(caregiver.pk, {})
        if item.required_qualification not in held:
            return False
        expiry = held[item.required_qualification]
        if expiry is not None and expiry < day:
            return False
    return True


class _Roster:
    """Who is booked when: the dispatch checks of ``assignment_problems``, in memory."""

    def __init__(self, caregivers: list[Caregiver], certs: dict[int, dict[str, Any]]) -> None:
        self.caregivers = caregivers
        self.certs = certs
        self.booked: dict[tuple[int, datetime.date], list[tuple[datetime.time, datetime.time]]]
        self.booked = defaultdict(list)
        self.minutes: dict[tuple[int, datetime.date], int] = defaultdict(int)
        self.windows: dict[int, tuple[datetime.time, datetime.time]] = {}

    def window(self, visit: Visit) -> tuple[datetime.time, datetime.time]:
        """The visit's window in local time (cached: ``localtime`` is slow in bulk)."""
        found = self.windows.get(id(visit))
        if found is None:
            found = self.windows[id(visit)] = (
                timezone.localtime(visit.window_start).time(),
                timezone.localtime(visit.window_end).time(),
            )
        return found

    def free(self, caregiver: Caregiver, visit: Visit, item: ServiceItem) -> bool:
        start, end = self.window(visit)
        key = (caregiver.pk, visit.date)
        return (
            _qualified(caregiver, item, visit.date, self.certs)
            and visit.date.weekday() in caregiver.work_days
            and caregiver.work_start <= start
            and end <= caregiver.work_end
            and all(not (s < end and start < e) for s, e in self.booked[key])
            and self.minutes[key] + visit.standard_minutes <= caregiver.max_minutes_per_day
        )

    def book(self, caregiver: Caregiver, visit: Visit) -> None:
        key = (caregiver.pk, visit.date)
        self.booked[key].append(self.window(visit))
        self.minutes[key] += visit.standard_minutes


def _setup_provider(
    rng: random.Random,
    role: str,
    provider: Organisation,
    area: Division,
    items: dict[str, ServiceItem],
    today: datetime.date,
    count: int,
    login: User | None,
) -> list[Caregiver]:
    manager = SystemActor(
        Scope(organisation_ids=frozenset({provider.pk})),
        username="seed-demo",
        role=Role.PROVIDER_MANAGER.value,
    )
    codes, (low, high) = OFFERS[role]
    for code in codes:
        item = items[code]
        price = (item.standard_price * Decimal(str(rng.uniform(low, high)))).quantize(Decimal("1"))
        offering_set(actor=manager, provider=provider, item=item, price=price)
    service_areas_set(actor=manager, provider=provider, divisions=[area])
    base = (
        (float(provider.lat), float(provider.lng))
        if provider.lat is not None and provider.lng is not None
        else (float(area.centroid_lat or 0), float(area.centroid_lng or 0))
    )
    caregivers = []
    for index in range(count):
        quals, skills = PROFILES[index % len(PROFILES)]
        skills = sorted(
            set(skills) | ({rng.choice(list(Skill.values))} if rng.random() < 0.3 else set())
        )
        days, start, end, minutes = HOURS[index % len(HOURS)]
        given = rng.choice(CHILD_GIVEN) + (rng.choice(CHILD_GIVEN) if rng.random() < 0.4 else "")
        name = rng.choice(SURNAMES[:40]) + given[:2]
        user = None
        if login is not None and index == 0:
            name, user, quals, skills = (
                "王秀梅",
                login,
                ["elder_care_worker"],
                ["bathing", "cleaning", "dementia_care", "hoist_transfer"],
            )
            days, start, end, minutes = [0, 1, 2, 3, 4, 5, 6], "08:00", "17:30", 420
        values: dict[str, Any] = {
            "name": name,
            "sex": "female" if rng.random() < 0.85 else "male",
            "phone": f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}",
            "skills": skills,
            "languages": ["mandarin"] + (["local_dialect"] if rng.random() < 0.7 else []),
            "work_days": days,
            "work_start": start,
            "work_end": end,
            "max_minutes_per_day": minutes,
            "home_lat": f"{base[0] + rng.uniform(-0.02, 0.02):.6f}",
            "home_lng": f"{base[1] + rng.uniform(-0.02, 0.02):.6f}",
            "travel_mode": rng.choice(["bicycle", "bicycle", "walk", "transit"]),
        }
        if user is not None:
            values["user"] = user
        caregiver = caregiver_save(actor=manager, provider=provider, **values)
        lapsed = role == "company" and index == 2
        for qual in quals:
            if lapsed and qual == Qualification.ELDER_CARE_WORKER:
                # Ran out seven weeks ago: dispatch refuses this caregiver bathing and
                # personal care ("expired on ...") until it is renewed.
                certificate_add(
                    actor=manager,
                    caregiver=caregiver,
                    qualification=qual,
                    number=f"EL{rng.randint(10**9, 10**10 - 1)}",
                    issued_on=today - datetime.timedelta(days=5 * 365 + 49),
                    expires_on=today - datetime.timedelta(days=49),
                )
                continue
            issued = today - datetime.timedelta(days=rng.randint(200, 1400))
            years = 1 if qual == Qualification.FOOD_HANDLER else 5
            expires = max(
                issued + datetime.timedelta(days=365 * years),
                today + datetime.timedelta(days=rng.randint(40, 700)),
            )
            certificate_add(
                actor=manager,
                caregiver=caregiver,
                qualification=qual,
                number=f"{qual[:2].upper()}{rng.randint(10**9, 10**10 - 1)}",
                issued_on=issued,
                expires_on=expires,
            )
        caregivers.append(caregiver)
    return caregivers


def _elders_for(rng: random.Random, area: Division, used: set[int], count: int) -> list[Elder]:
    elders = [
        e
        for e in Elder.objects.only(
            "id",
            "name",
            "lat",
            "lng",
            "division_code",
            "community_id",
            "ability_level",
            "economic_status",
            "status",
            "status_changed_on",
            "deceased_on",
            "birth_date",
        )
        .filter(
            division_code__startswith=area.code_prefix,
            status=ElderStatus.ACTIVE,
            lat__isnull=False,
            lng__isnull=False,
        )
        .order_by("id")
        if e.pk not in used
    ]
    # Elders assessed with a loss of ability come first: they are who home care is for.
    rng.shuffle(elders)
    elders.sort(key=lambda e: e.ability_level in ("", "intact"))
    chosen = elders[:count]
    used.update(e.pk for e in chosen)
    return chosen


def _plan_item(rng: random.Random, elder: Elder, offered: list[str]) -> str:
    heavy = elder.ability_level in ("severe", "complete")
    weights = {
        "ZY01": 3,
        "ZY02": 4 if heavy else 0,
        "ZJ01": 3,
        "ZJ02": 1,
        "HL01": 4 if heavy else 2,
        "HL02": 1 if heavy else 0,
        "HL03": 2,
        "ZYI03": 1,
        "JW01": 2,
        "JW03": 2,
        "ZC01": 2,
        "ZC02": 1,
        "KF02": 1,
        "ZX01": 1,
        "ZYI02": 1,
        "ZY03": 1,
    }
    choices = [c for c in offered if weights.get(c, 0) > 0 and c in PLAN_SHAPES]
    return rng.choices(choices, [weights[c] for c in choices])[0]


def _split(
    price: Decimal, monthly: Decimal | None, per_month: int, heavy: bool, personal: bool
) -> tuple[Decimal, Decimal, Decimal]:
    """Government allowance within the elder's monthly entitlement, long-term-care
    insurance for severe loss of ability on personal care, the rest paid by the family."""
    ltc = (price * Decimal("0.6")).quantize(Decimal("1")) if heavy and personal else Decimal(0)
    allowance = Decimal(0)
    if monthly and per_month:
        allowance = min(price - ltc, (monthly / per_month).quantize(Decimal("1"), "ROUND_FLOOR"))
    money = (Decimal("0.01"),)
    return (
        allowance.quantize(*money),
        ltc.quantize(*money),
        (price - allowance - ltc).quantize(*money),
    )


_ALLOWANCE: dict[int, Decimal | None] = {}


@dataclass
class _Plan:
    order: Order
    item: ServiceItem
    elder: Elder
    visits: list[Visit] = field(default_factory=list)
    regular: list[Caregiver] = field(default_factory=list)


def _near(rng: random.Random, lat: float, lng: float, metres: float) -> tuple[float, float]:
    """A point about ``metres`` from (lat, lng) in a random direction."""
    angle = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(angle) / 111_320
    dlng = metres * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lng + dlng, 6)


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
    manager = User.objects.filter(username="provider_manager").first()
    main = next(p for role, p, _area in providers if role == "company")
    if login is not None and login.organisation_id != main.pk:
        login.organisation = main
        login.save(update_fields=["organisation"])
    if manager is not None:
        # The demo provider manager runs the main company's day (board, dispatch, review).
        manager.organisation = main
        manager.save(update_fields=["organisation"])
    staff: dict[int, list[Caregiver]] = {}
    sizes = {"company": 14, "company_b": 11, "station": 8}
    for role, provider, area in providers:
        staff[provider.pk] = _setup_provider(
            rng,
            role,
            provider,
            area,
            items,
            today,
            sizes[role],
            login if provider.pk == main.pk else None,
        )
        result.providers.append(provider.name)
    all_caregivers = [c for group in staff.values() for c in group]
    result.caregivers = len(all_caregivers)
    certs: dict[int, dict[str, Any]] = defaultdict(dict)
    for cert in Certificate.objects.filter(caregiver__in=all_caregivers):
        certs[cert.caregiver_id][cert.qualification] = cert.expires_on
    roster = _Roster(all_caregivers, certs)
    offered = {p.pk: OFFERS[role][0] for role, p, _a in providers}
    prices = {
        (o.provider_id, o.item_id): o.price
        for o in ServiceOffering.objects.filter(provider__in=[p for _r, p, _a in providers])
    }
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["community_worker", "operator", "family", "provider_manager"]
        )
    }

    # --- orders and care plans --------------------------------------------------------------
    used: set[int] = set()
    plans: list[_Plan] = []
    counts = {"station": 16, "company": 45, "company_b": 30}
    first_day = today - datetime.timedelta(days=HISTORY_DAYS)
    family_elder: Elder | None = None
    for role, provider, area in providers:
        elders = _elders_for(rng, area, used, counts[role])
        if role == "company" and elders:
            family_elder = next((e for e in elders if e.name.startswith("张")), elders[0])
        one_offs = max(4, len(elders) // 3)
        for index, elder in enumerate(elders):
            wanted = 2 if rng.random() < 0.25 else 1
            codes: list[str] = []
            for _ in range(wanted):
                code = _plan_item(rng, elder, offered[provider.pk])
                if code not in codes:
                    codes.append(code)
            if elder == family_elder:
                codes = [c for c in ("ZY01", "ZJ01") if c in offered[provider.pk]] or codes
            for code in codes:
                windows, patterns = PLAN_SHAPES[code]
                start, end = rng.choice(windows)
                if code == "ZY01" and elder == family_elder:
                    weekdays, start, end = [1, 4], "09:00", "11:00"  # bathing Tue and Fri
                else:
                    weekdays = rng.choice(patterns)
                fresh = rng.random() < 0.15
                starts = today - datetime.timedelta(
                    days=rng.randint(2, 9) if fresh else rng.randint(HISTORY_DAYS - 2, 40)
                )
                plans.append(
                    _plan(
                        rng,
                        elder,
                        provider,
                        items[code],
                        starts,
                        starts + datetime.timedelta(days=rng.choice([56, 63, 84])),
                        weekdays,
                        _t(start),
                        _t(end),
                        prices,
                        users,
                        OrderKind.PLAN,
                    )
                )
            if index < one_offs:
                choices = [c for c in ONE_OFF_SHAPES if c in offered[provider.pk]]
                code = rng.choice(choices)
                start, end = rng.choice(ONE_OFF_SHAPES[code])
                offset = rng.choice([-25, -20, -14, -10, -6, -3, -1, 0, 0, 1, 1, 2, 4, 8])
                day = today + datetime.timedelta(days=offset)
                plans.append(
                    _plan(
                        rng,
                        elder,
                        provider,
                        items[code],
                        day,
                        day,
                        [],
                        _t(start),
                        _t(end),
                        prices,
                        users,
                        OrderKind.ONE_OFF,
                    )
                )
    result.orders = len(plans)

    # --- dispatch: the regular caregiver where possible, someone else on their days off -------
    horizon = today + datetime.timedelta(days=14)
    visits: list[Visit] = []
    for plan in plans:
        visits.extend(plan.visits)
    visits.sort(key=lambda v: (v.window_start, v.elder_id))
    plan_of = {id(v): p for p in plans for v in p.visits}
    provider_staff = staff
    for visit in visits:
        plan = plan_of[id(visit)]
        if visit.date > horizon:
            continue  # dispatched a fortnight ahead
        if visit.date == today + datetime.timedelta(days=1) and rng.random() < 0.3:
            continue  # tomorrow: some still to assign
        if visit.date == today and visit.window_start > now and rng.random() < 0.12:
            continue
        wanted = 2 if visit.needs_two else 1
        chosen: list[Caregiver] = [c for c in plan.regular if roster.free(c, visit, plan.item)]
        if len(chosen) < wanted:
            team = sorted(
                (c for c in provider_staff[visit.provider_id] if c not in chosen),
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

    # --- what happened: the month behind, and today up to now ----------------------------------
    for visit in visits:
        _happen(rng, visit, plan_of[id(visit)], now)
    _overlaps(rng, visits, now)
    elder_of = {v.elder_id: v.elder for v in visits}
    late_after = datetime.timedelta(minutes=settings.VISIT_LATE_AFTER_MINUTES)
    for visit in visits:
        if (
            visit.status
            in (
                VisitStatus.SCHEDULED,
                VisitStatus.ASSIGNED,
                VisitStatus.ON_THE_WAY,
                VisitStatus.MISSED,
            )
            and visit.check_in_at is None
        ):
            if visit.window_start + late_after <= now:
                visit.is_late = True
                visit.late_notified_at = visit.window_start + late_after
            if (
                visit.window_end + datetime.timedelta(minutes=settings.VISIT_MISSED_AFTER_MINUTES)
                <= now
                and visit.status != VisitStatus.CANCELLED
            ):
                visit.status = VisitStatus.MISSED

    flags = _flags(visits, elder_of)
    reviews = _reviews(rng, visits, flags, now, users.get("provider_manager"))
    result.flagged = len(flags)
    with _own_timestamps(Order, Visit, VisitEvent, VisitFlag, VisitReview, VisitRating):
        bulk_insert([p.order for p in plans], set_pks=True)
        for plan in plans:
            for visit in plan.visits:
                visit.order = plan.order
        bulk_insert(visits, set_pks=True)
        bulk_insert([f for fs in flags.values() for f in fs])
        bulk_insert(reviews)
        bulk_insert(_events(visits))
        complained = _ratings(rng, visits, now, family_elder, users.get("family"))
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
    if family_elder is not None and users.get("family") is not None:
        _link_family(admin, family_elder, users["family"], first_day, complained)
        result.family_elder = family_elder.name
    result.created = len(visits)
    result.today = sum(v.date == today for v in visits)
    result.manager_provider = main.name
    result.caregiver_login = "王秀梅" if login is not None else ""
    return result


def _plan(
    rng: random.Random,
    elder: Elder,
    provider: Organisation,
    item: ServiceItem,
    starts_on: datetime.date,
    ends_on: datetime.date,
    weekdays: list[int],
    start: datetime.time,
    end: datetime.time,
    prices: dict[tuple[int, int], Decimal],
    users: dict[str, User],
    kind: str,
) -> _Plan:
    price = prices[(provider.pk, item.pk)]
    dates = plan_dates(starts_on=starts_on, ends_on=ends_on, weekdays=weekdays)
    per_month = max(1, round(len(dates) * 30 / max((ends_on - starts_on).days + 1, 30)))
    heavy = elder.ability_level in ("severe", "complete")
    personal = item.category in ("personal_care", "bathing")
    if elder.pk not in _ALLOWANCE:
        _ALLOWANCE[elder.pk] = monthly_allowance(elder, starts_on) if elder.ability_level else None
    monthly = _ALLOWANCE[elder.pk]
    allowance, ltc, self_pay = _split(price, monthly, per_month * 3, heavy, personal)
    via = rng.choice([PlacedVia.COMMUNITY_WORKER] * 3 + [PlacedVia.FAMILY, PlacedVia.CALL_CENTRE])
    placer = {
        PlacedVia.COMMUNITY_WORKER: "community_worker",
        PlacedVia.FAMILY: "",
        PlacedVia.CALL_CENTRE: "operator",
    }[via]
    placed_at = _aware(starts_on - datetime.timedelta(days=rng.randint(1, 6)), _t("10:00"))
    order = Order(
        elder=elder,
        division_code=elder.division_code,
        provider=provider,
        item=item,
        kind=kind,
        placed_via=via,
        placed_by=users.get(placer),
        placed_by_username=placer,
        relation=Relation.CHILD if via == PlacedVia.FAMILY else "",
        starts_on=starts_on,
        ends_on=ends_on,
        weekdays=weekdays,
        window_start=start,
        window_end=end,
        price=price,
        allowance_yuan=allowance,
        ltc_yuan=ltc,
        self_pay_yuan=self_pay,
        note=rng.choice(["", "", "老人听力不好，请多敲几次门。", "楼道无电梯，住六楼。"]),
        status=OrderStatus.ACTIVE,
        created_at=placed_at,
        updated_at=placed_at,
    )
    plan = _Plan(order=order, item=item, elder=elder)
    for day in dates:
        plan.visits.append(
            Visit(
                elder=elder,
                division_code=elder.division_code,
                provider=provider,
                item=item,
                date=day,
                window_start=_aware(day, start),
                window_end=_aware(day, end),
                standard_minutes=item.standard_minutes,
                needs_two=item.two_caregivers,
                price=price,
                allowance_yuan=allowance,
                ltc_yuan=ltc,
                self_pay_yuan=self_pay,
                created_at=placed_at,
                updated_at=placed_at,
            )
        )
    return plan


def _happen(rng: random.Random, visit: Visit, plan: _Plan, now: datetime.datetime) -> None:
    """Fill in what the caregiver's phone would have recorded, up to ``now``."""
    visit.updated_at = max(visit.created_at, min(now, visit.window_end))
    if visit.window_start > now + datetime.timedelta(hours=30):
        return
    if visit.window_end < now and rng.random() < 0.02:
        visit.status = VisitStatus.CANCELLED
        visit.cancelled_at = visit.window_start - datetime.timedelta(hours=rng.choice([3, 20, 50]))
        visit.cancel_reason = rng.choice(CANCEL_REASONS)
        visit.short_notice = visit.window_start - visit.cancelled_at < datetime.timedelta(
            hours=settings.VISIT_CANCEL_NOTICE_HOURS
        )
        return
    if visit.caregiver is None:
        return  # never assigned: late, then missed (set by the caller)
    roll = rng.random()
    if visit.window_end < now and roll < 0.03:
        return  # nobody came: missed
    standard = visit.standard_minutes
    late = roll > 0.92
    delay = rng.randint(17, 50) if late else rng.randint(-12, 12)
    check_in = visit.window_start + datetime.timedelta(minutes=delay, seconds=rng.randint(0, 59))
    if check_in > now:
        if check_in - now < datetime.timedelta(minutes=40) and rng.random() < 0.5:
            visit.status = VisitStatus.ON_THE_WAY
            visit.on_the_way_at = now - datetime.timedelta(minutes=rng.randint(3, 15))
        return
    outcome = VisitOutcome.DONE
    kind = rng.random()
    if kind < 0.012:
        outcome = VisitOutcome.NOT_HOME
        minutes = rng.randint(5, 12)
    elif kind < 0.016:
        outcome = VisitOutcome.UNWELL
        minutes = rng.randint(20, 50)
    elif kind < 0.04:
        minutes = round(standard * rng.uniform(0.25, 0.45))  # too short
    else:
        minutes = round(standard * min(1.4, max(0.7, rng.gauss(1.05, 0.12))))
    minutes = max(minutes, 3)
    lat, lng = float(visit.elder.lat or 0), float(visit.elder.lng or 0)
    far = rng.random() < 0.035
    in_lat, in_lng = _near(rng, lat, lng, rng.uniform(260, 900) if far else rng.uniform(3, 60))
    in_accuracy = round(rng.uniform(35, 120) if far else rng.uniform(5, 30), 1)
    no_check_in = rng.random() < 0.004
    visit.status = VisitStatus.CHECKED_IN
    if not no_check_in:
        visit.check_in_at = check_in
        visit.check_in_lat, visit.check_in_lng = in_lat, in_lng
        visit.check_in_accuracy = in_accuracy
        visit.check_in_distance = distance_m(lat, lng, in_lat, in_lng)
        late_after = datetime.timedelta(minutes=settings.VISIT_LATE_AFTER_MINUTES)
        if check_in > visit.window_start + late_after:
            visit.is_late, visit.late_notified_at = True, visit.window_start + late_after
    check_out = check_in + datetime.timedelta(minutes=minutes, seconds=rng.randint(0, 59))
    if check_out > now:
        if no_check_in:
            visit.status = VisitStatus.ASSIGNED
        return
    out_lat, out_lng = _near(rng, lat, lng, rng.uniform(3, 60))
    out_accuracy = round(rng.uniform(5, 30), 1)
    visit.status = VisitStatus.CHECKED_OUT
    visit.check_out_at = check_out
    visit.check_out_lat, visit.check_out_lng = out_lat, out_lng
    visit.check_out_accuracy = out_accuracy
    visit.check_out_distance = distance_m(lat, lng, out_lat, out_lng)
    visit.outcome = outcome
    checklist = list(plan.item.checklist)
    if outcome == VisitOutcome.DONE:
        if checklist and rng.random() < 0.15:
            checklist.pop(rng.randrange(len(checklist)))
        visit.tasks_done = checklist
        visit.notes = rng.choice(NOTES) if rng.random() < 0.3 else ""
    elif outcome == VisitOutcome.NOT_HOME:
        visit.notes = rng.choice(NOT_HOME_NOTES)
    else:
        visit.notes = "老人发烧38.5℃，精神差，已联系家属并报告呼叫中心。"
    visit.updated_at = check_out


def _events(visits: list[Visit]) -> list[VisitEvent]:
    """The check-in and check-out events the phone would have sent."""
    events = []
    for visit in visits:
        user = visit.caregiver.user if visit.caregiver is not None else None
        who = {"actor": user, "actor_username": user.username if user is not None else ""}
        if visit.check_in_at is not None:
            events.append(
                VisitEvent(
                    visit=visit,
                    kind="check_in",
                    at=visit.check_in_at,
                    recorded_at=visit.check_in_at,
                    detail={
                        "lat": visit.check_in_lat,
                        "lng": visit.check_in_lng,
                        "accuracy": visit.check_in_accuracy,
                        "distance": visit.check_in_distance,
                        "offline": False,
                    },
                    **who,
                )
            )
        if visit.check_out_at is not None:
            events.append(
                VisitEvent(
                    visit=visit,
                    kind="check_out",
                    at=visit.check_out_at,
                    recorded_at=visit.check_out_at,
                    detail={
                        "lat": visit.check_out_lat,
                        "lng": visit.check_out_lng,
                        "accuracy": visit.check_out_accuracy,
                        "distance": visit.check_out_distance,
                        "outcome": visit.outcome,
                    },
                    **who,
                )
            )
    return events


def _overlaps(rng: random.Random, visits: list[Visit], now: datetime.datetime) -> None:
    """A few caregivers forgot to check out and did it from the next elder's door: the
    first visit then overlaps the next (and its check-out is out of range)."""
    by_day: dict[tuple[int, datetime.date], list[Visit]] = defaultdict(list)
    for visit in visits:
        if visit.caregiver_id and visit.check_in_at and visit.check_out_at:
            by_day[(visit.caregiver_id, visit.date)].append(visit)
    pairs = [
        sorted(day, key=lambda v: v.check_in_at or now)[:2]
        for day in by_day.values()
        if len(day) >= 2
    ]
    rng.shuffle(pairs)
    for first, second in pairs[: max(2, len(pairs) // 60)]:
        if second.check_in_at is None or second.check_out_at is None:
            continue
        if first.needs_two or second.needs_two or second.check_out_at > now:
            continue
        first.check_out_at = second.check_in_at + datetime.timedelta(minutes=rng.randint(5, 15))
        first.check_out_lat, first.check_out_lng = second.check_in_lat, second.check_in_lng
        first.check_out_distance = distance_m(
            float(first.elder.lat or 0),
            float(first.elder.lng or 0),
            float(first.check_out_lat or 0),
            float(first.check_out_lng or 0),
        )


def _facts(key: int, visit: Visit, elder: Elder) -> Facts:
    return Facts(
        visit_id=key,
        caregiver_ids=tuple(c for c in (visit.caregiver_id, visit.second_caregiver_id) if c),
        standard_minutes=visit.standard_minutes,
        check_in_at=visit.check_in_at,
        check_out_at=visit.check_out_at,
        in_lat=visit.check_in_lat,
        in_lng=visit.check_in_lng,
        out_lat=visit.check_out_lat,
        out_lng=visit.check_out_lng,
        in_distance=visit.check_in_distance,
        out_distance=visit.check_out_distance,
        outcome=visit.outcome,
        elder_status=elder.status,
        elder_status_since=elder.deceased_on or elder.status_changed_on,
        date=visit.date,
    )


def _flags(visits: list[Visit], elders: dict[int, Elder]) -> dict[int, list[VisitFlag]]:
    """The flags the check-in/check-out services (and the monthly scan) raise, by the same
    rules, with the time they would have been raised; by the visit's index in ``visits``."""
    radius, short = settings.VISIT_CHECK_IN_RADIUS_M, settings.VISIT_TOO_SHORT_PERCENT
    by_day: dict[datetime.date, list[Facts]] = defaultdict(list)
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for key, visit in enumerate(visits):
        if visit.check_in_at is None and visit.check_out_at is None:
            continue
        facts = _facts(key, visit, elders[visit.elder_id])
        by_day[visit.date].append(facts)
        found[key] += single_visit_flags(facts, radius_m=radius, too_short_percent=short)
        if visit.outcome and visit.outcome != VisitOutcome.DONE:
            found[key].append((FlagCode.EXCEPTION, str(VisitOutcome(visit.outcome).label)))
    for day_facts in by_day.values():
        cross = cross_visit_flags(day_facts, max_speed_kmh=settings.VISIT_MAX_SPEED_KMH)
        for visit_id, more in cross.items():
            found[visit_id] += more
    rows: dict[int, list[VisitFlag]] = defaultdict(list)
    for visit_id, pairs in found.items():
        visit = visits[visit_id]
        raised = visit.check_out_at or visit.check_in_at or visit.window_start
        codes: set[str] = set()
        for code, detail in pairs:
            if code in codes:
                continue
            codes.add(code)
            rows[visit_id].append(
                VisitFlag(
                    visit=visit,
                    code=code,
                    detail=str(detail)[:300],
                    raised_at=raised,
                    explanation="手机定位在楼里信号差。"
                    if code == FlagCode.OUT_OF_RANGE and visit_id % 3 == 0
                    else "",
                )
            )
    return rows


def _reviews(
    rng: random.Random,
    visits: list[Visit],
    flags: dict[int, list[VisitFlag]],
    now: datetime.datetime,
    reviewer: User | None,
) -> list[VisitReview]:
    """Clean check-outs are confirmed; flagged visits wait for review, and those older than
    a few days were mostly reviewed: accepted (then confirmed) or rejected."""
    reviews: list[VisitReview] = []
    for key, visit in enumerate(visits):
        if visit.status != VisitStatus.CHECKED_OUT and key not in flags:
            continue
        if key not in flags:
            if visit.outcome == VisitOutcome.DONE:
                visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, visit.check_out_at
            continue
        visit.review_status = ReviewStatus.PENDING
        done_at = visit.check_out_at or visit.check_in_at
        if (
            done_at is None
            or visit.status != VisitStatus.CHECKED_OUT
            or now - done_at < datetime.timedelta(days=4)
            or rng.random() < 0.3
        ):
            continue
        codes = {f.code for f in flags[key]}
        rejected = (FlagCode.TOO_SHORT in codes and rng.random() < 0.5) or rng.random() < 0.12
        at = done_at + datetime.timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 6))
        if rejected:
            visit.review_status = ReviewStatus.REJECTED
            reason = "时长明显不足，且无合理说明，本次不计入服务量。"
        else:
            visit.review_status = ReviewStatus.ACCEPTED
            reason = rng.choice(
                [
                    "已电话回访老人，确认服务完成。",
                    "定位偏差，小区楼间距大，核实无误。",
                    "老人家属证实护理员到场。",
                ]
            )
            # As visit_review does: an accepted checked-out visit is confirmed.
            visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, at
        visit.updated_at = at
        reviews.append(
            VisitReview(
                visit=visit,
                decision=visit.review_status,
                reason=reason,
                reviewer=reviewer,
                reviewer_username=reviewer.username if reviewer else "seed-demo",
                at=at,
            )
        )
    return reviews


def _link_family(
    admin: Any,
    elder: Elder,
    family: User,
    first_day: datetime.date,
    complained: tuple[Visit, str] | None,
) -> None:
    """The family login sees the elder's care (consent, link), and complains about one
    visit: into the city's register, as from the family page."""
    consent_record(
        actor=admin,
        elder=elder,
        purpose=ConsentPurpose.FAMILY_VIEW,
        given_by=ConsentGiver.ELDER,
        given_on=first_day - datetime.timedelta(days=12),
        recipient="子女",
        evidence="社区工作者上门签字确认",
    )
    family_member_link(actor=admin, elder=elder, user=family, relation=Relation.CHILD)
    if complained is not None:
        complaint_from_family(actor=family, visit=complained[0], text=complained[1])


def _ratings(
    rng: random.Random,
    visits: list[Visit],
    now: datetime.datetime,
    family_elder: Elder | None,
    family: User | None,
) -> tuple[Visit, str] | None:
    """Ratings of the month's visits; returns the visit the family complains about."""
    ratings: list[VisitRating] = []
    complaint: tuple[Visit, str] | None = None
    for visit in visits:
        if visit.status not in (VisitStatus.CHECKED_OUT, VisitStatus.CONFIRMED):
            continue
        if visit.outcome != VisitOutcome.DONE or visit.check_out_at is None:
            continue
        mine = family_elder is not None and visit.elder_id == family_elder.pk
        if not ((mine and rng.random() < 0.7) or rng.random() < 0.15):
            continue
        if visit.is_late and mine and complaint is None:
            stars = 2
        elif visit.is_late:
            stars = rng.choice([3, 4])
        else:
            stars = rng.choices([5, 4, 3], [70, 25, 5])[0]
        at = visit.check_out_at + datetime.timedelta(hours=rng.randint(1, 30))
        if at > now:
            continue
        ratings.append(
            VisitRating(
                visit=visit,
                stars=stars,
                comment=rng.choice(RATING_COMMENTS[stars]),
                rated_by=family if mine else None,
                at=at,
            )
        )
        if stars == 2 and mine and complaint is None:
            complaint = (visit, COMPLAINT_TEXT)
    VisitRating.objects.bulk_create(ratings, batch_size=500)
    if complaint is None and family_elder is not None:
        # No late visit for the family's elder this month: the complaint is about a short one.
        target = next(
            (
                v
                for v in visits
                if v.elder_id == family_elder.pk and v.check_out_at and v.check_out_at < now
            ),
            None,
        )
        if target is not None and target.check_out_at is not None:
            complaint = (target, "打扫得不够仔细，厨房灶台没有擦。")
    return complaint
