"""A provider with a service list, caregivers, an elder with a family member, and helpers
to place orders and bring a visit's window to now."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import World
from tests.factories import UserFactory, make_elder
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders.services import consent_record, family_member_link
from yiyang.services import services as catalogue
from yiyang.services.models import Caregiver, ServiceItem
from yiyang.visits import services
from yiyang.visits.models import Order, Visit

ALL_DAY = {"work_days": [0, 1, 2, 3, 4, 5, 6], "work_start": "00:00", "work_end": "23:59"}
HOME = (34.750000, 113.650000)


@dataclass
class Care:
    world: World
    provider: Any
    manager: Any
    items: dict[str, ServiceItem]
    caregivers: dict[str, Caregiver]
    elder: Any
    family: Any
    users: dict[str, Any] = field(default_factory=dict)

    def order(self, code: str = "JW03", *, days: int = 1, **extra: Any) -> Order:
        """An order placed by the community worker for ``days`` from tomorrow (10:00-12:00)."""
        start = timezone.localdate() + datetime.timedelta(days=1)
        values: dict[str, Any] = {
            "starts_on": start,
            "window_start": datetime.time(10),
            "window_end": datetime.time(12),
        }
        if days > 1:
            values.update(
                ends_on=start + datetime.timedelta(days=days - 1), weekdays=list(range(7))
            )
        actor = extra.pop("actor", None) or self.world.user[Role.COMMUNITY_WORKER]
        values.update(extra)
        return services.order_place(
            actor=actor,
            elder=self.elder,
            provider=self.provider,
            item=self.items[code],
            **values,
        )

    def assigned(self, code: str = "JW03", *names: str) -> Visit:
        visit = self.order(code).visits.get()
        chosen = [self.caregivers[n] for n in (names or ("wang",))]
        return services.visit_assign(actor=self.manager, visit=visit, caregivers=chosen)

    def now_window(self, visit: Visit, *, opened_minutes_ago: int = 10) -> Visit:
        """Move a visit's window so that it opened a few minutes ago (test set-up only)."""
        now = timezone.now()
        start = now - datetime.timedelta(minutes=opened_minutes_ago)
        Visit.objects.filter(pk=visit.pk).update(
            date=timezone.localdate(start),
            window_start=start,
            window_end=start + datetime.timedelta(hours=2),
        )
        visit.refresh_from_db()
        return visit

    @property
    def caregiver_user(self) -> Any:
        return self.world.user[Role.CAREGIVER]

    def login(self, who: str) -> Any:
        return self.caregiver_user if who == "wang" else self.users[who]


def fix(lat: float = HOME[0], lng: float = HOME[1], accuracy: float = 15, **extra: Any) -> Any:
    return services.Fix(latitude=lat, longitude=lng, accuracy=accuracy, **extra)


@pytest.fixture
def care(world: World) -> Care:
    city = world.div["X"]
    admin = SystemActor(Scope(division_prefix=city.code_prefix), username="test")
    catalogue.service_list_load(actor=admin, city=city)
    items = {item.code: item for item in ServiceItem.objects.filter(city=city)}
    provider = world.org["home_care"]
    manager = UserFactory(username="manager_p", role=Role.PROVIDER_MANAGER, organisation=provider)
    for code in ("JW03", "ZY01", "ZY02", "ZJ01"):
        catalogue.offering_set(
            actor=manager, provider=provider, item=items[code], price=items[code].standard_price
        )
    catalogue.service_areas_set(actor=manager, provider=provider, divisions=[world.div["XA1"]])
    caregivers = {
        "wang": catalogue.caregiver_save(
            actor=manager,
            provider=provider,
            name="王护理",
            skills=["bathing", "hoist_transfer"],
            user=world.user[Role.CAREGIVER],
            home_lat="34.751",
            home_lng="113.651",
            **ALL_DAY,
        ),
        "li": catalogue.caregiver_save(
            actor=manager,
            provider=provider,
            name="李护理",
            skills=["hoist_transfer", "cleaning"],
            home_lat="34.70",
            home_lng="113.60",
            **ALL_DAY,
        ),
        "zhao": catalogue.caregiver_save(
            actor=manager,
            provider=provider,
            name="赵护理",
            skills=["bathing"],
            home_lat="34.752",
            home_lng="113.652",
            **ALL_DAY,
        ),
    }
    li_login = UserFactory(username="caregiver_li", role=Role.CAREGIVER, organisation=provider)
    catalogue.caregiver_save(
        actor=manager, provider=provider, caregiver=caregivers["li"], user=li_login
    )
    today = timezone.localdate()
    for name in ("wang", "li"):
        catalogue.certificate_add(
            actor=manager,
            caregiver=caregivers[name],
            qualification="elder_care_worker",
            number=f"C-{name}",
            expires_on=today + datetime.timedelta(days=365),
        )
    catalogue.certificate_add(
        actor=manager,
        caregiver=caregivers["zhao"],
        qualification="elder_care_worker",
        number="C-zhao",
        issued_on=today - datetime.timedelta(days=800),
        expires_on=today - datetime.timedelta(days=3),
    )
    worker = world.user[Role.COMMUNITY_WORKER]
    elder = make_elder(
        worker,
        world.div["XA1a"],
        name="刘桂兰",
        address="测试路1号",
        lat=Decimal("34.750000"),
        lng=Decimal("113.650000"),
    )
    family = world.user[Role.FAMILY]
    family_member_link(actor=worker, elder=elder, user=family, relation="child")
    consent_record(
        actor=worker, elder=elder, purpose="family_view", given_by="elder", given_on=today
    )
    return Care(world, provider, manager, items, caregivers, elder, family, {"li": li_login})
