"""The demo providers and their staff: offerings, areas, caregivers with certificates, and an
in-memory roster of who is booked when (the dispatch checks, in bulk)."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.models import Division
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.elders import CHILD_GIVEN, SURNAMES
from yiyang.demo.visits.data import HOURS, OFFERS, PROFILES
from yiyang.organisations.choices import OrganisationKind
from yiyang.organisations.models import Organisation
from yiyang.services.choices import Qualification, Skill
from yiyang.services.models import Caregiver, ServiceItem
from yiyang.services.services import (
    caregiver_save,
    certificate_add,
    offering_set,
    service_areas_set,
)
from yiyang.visits.models import (
    Visit,
)


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
        _certificates(rng, manager, caregiver, quals, today, lapsed=lapsed)
        caregivers.append(caregiver)
    return caregivers


def _certificates(
    rng: random.Random,
    manager: SystemActor,
    caregiver: Caregiver,
    quals: list[str],
    today: datetime.date,
    *,
    lapsed: bool,
) -> None:
    """The caregiver's certificates; a lapsed one ran out seven weeks ago."""
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
