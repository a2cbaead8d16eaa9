"""A provider under contract in street XA1 with caregivers, elders and a past month of
visits written straight into the tables (test set-up only: the visits app's services
would refuse past dates)."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import World
from tests.factories import UserFactory, make_elder
from yiyang.assessments.choices import EntitlementKind, EntitlementUnit
from yiyang.assessments.models import EligibilityRule
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.facilities.choices import FacilityKind
from yiyang.facilities.services import facility_register
from yiyang.meals.models import Canteen
from yiyang.meals.services import canteen_register
from yiyang.services import services as catalogue
from yiyang.services.models import Caregiver, ServiceItem
from yiyang.settlement import services
from yiyang.settlement.choices import ContractScope
from yiyang.settlement.models import BudgetLine, Contract
from yiyang.visits.models import Order, Visit

ALL_DAY = {"work_days": [0, 1, 2, 3, 4, 5, 6], "work_start": "00:00", "work_end": "23:59"}
HOME = (34.75, 113.65)
_seq = itertools.count(1)


def last_month() -> datetime.date:
    first = timezone.localdate().replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)


@dataclass
class Books:
    world: World
    provider: Any
    manager: Any
    items: dict[str, ServiceItem]
    caregivers: dict[str, Caregiver]
    elders: dict[str, Any]
    line: BudgetLine
    contract: Contract
    month: datetime.date
    users: dict[str, Any] = field(default_factory=dict)

    def visit(
        self,
        elder: str = "liu",
        day: int = 3,
        hour: int = 9,
        minutes: int = 60,
        caregiver: str = "wang",
        code: str = "JW03",
        allowance: str = "30.00",
        **extra: Any,
    ) -> Visit:
        """A confirmed visit of the month, checked in at the elder's home."""
        date = self.month.replace(day=day)
        start = datetime.datetime.combine(date, datetime.time(hour), tzinfo=datetime.UTC)
        item = self.items[code]
        elder_obj = self.elders[elder]
        price = item.standard_price
        allowance_d = Decimal(allowance)
        values: dict[str, Any] = {
            "elder": elder_obj,
            "division_code": elder_obj.division_code,
            "provider": self.provider,
            "item": item,
            "price": price,
            "allowance_yuan": allowance_d,
            "ltc_yuan": Decimal("0.00"),
            "self_pay_yuan": price - allowance_d,
        }
        order = Order.objects.create(
            kind="once",
            placed_via="worker",
            starts_on=date,
            ends_on=date,
            window_start=datetime.time(hour),
            window_end=datetime.time(hour + 2),
            **values,
        )
        fields: dict[str, Any] = {
            "order": order,
            "date": date,
            "window_start": start,
            "window_end": start + datetime.timedelta(hours=2),
            "standard_minutes": item.standard_minutes,
            "caregiver": self.caregivers[caregiver],
            "status": "confirmed",
            "outcome": "done",
            "check_in_at": start,
            "check_out_at": start + datetime.timedelta(minutes=minutes),
            "check_in_lat": HOME[0],
            "check_in_lng": HOME[1],
            "check_in_distance": 5.0,
            "check_out_lat": HOME[0],
            "check_out_lng": HOME[1],
            "check_out_distance": 5.0,
            "confirmed_at": start + datetime.timedelta(minutes=minutes + 5),
        }
        fields.update(values)
        fields.update(extra)
        return Visit.objects.create(**fields)


def allowance_rule(amount: str = "300.00") -> EligibilityRule:
    return EligibilityRule.objects.create(
        name="居家服务补贴",
        entitlement="home_care_allowance",
        amount_yuan=Decimal(amount),
        unit="per_month",
        min_level=0,
        max_level=4,
        min_age=60,
        valid_from=datetime.date(2020, 1, 1),
    )


@pytest.fixture
def books(world: World) -> Books:
    return make_books(world)


def make_books(world: World) -> Books:
    """The books of the fixture, for tests elsewhere (security, browser) to build."""
    city = world.div["X"]
    admin = SystemActor(Scope(division_prefix=city.code_prefix), username="test")
    catalogue.service_list_load(actor=admin, city=city)
    items = {item.code: item for item in ServiceItem.objects.filter(city=city)}
    provider = world.org["home_care"]
    manager = UserFactory(username="manager_p", role=Role.PROVIDER_MANAGER, organisation=provider)
    caregivers = {
        name: catalogue.caregiver_save(actor=manager, provider=provider, name=label, **ALL_DAY)
        for name, label in (("wang", "王护理"), ("li", "李护理"), ("zhao", "赵护理"))
    }
    worker = world.user[Role.STREET_OFFICER]
    elders = {
        "liu": make_elder(
            worker,
            world.div["XA1a"],
            name="刘桂兰",
            lat=Decimal("34.750000"),
            lng=Decimal("113.650000"),
            ability_level="moderate",
        ),
        "zhang": make_elder(
            worker,
            world.div["XA1b"],
            name="张秀英",
            lat=Decimal("34.750000"),
            lng=Decimal("113.650000"),
            ability_level="moderate",
        ),
    }
    allowance_rule()
    finance = world.user[Role.FINANCE_OFFICER]
    line = services.budget_line_create(
        actor=finance,
        city=city,
        source="central",
        year=last_month().year,
        purpose="home_care",
        name="中央居家养老补助",
        amount_yuan="28000000.00",
    )
    month = last_month()
    contract = services.contract_create(
        actor=world.user[Role.DISTRICT_OFFICER],
        number="HT-2026-001",
        buyer=world.div["XA"],
        provider=provider,
        budget_line=line,
        starts_on=month - datetime.timedelta(days=200),
        ends_on=month + datetime.timedelta(days=400),
        cap_yuan="500000.00",
        prices={items[c]: items[c].standard_price for c in ("JW03", "ZY01", "ZY02", "ZJ01")},
        areas=[world.div["XA1"]],
    )
    street2 = UserFactory(
        username="street_xa2", role=Role.STREET_OFFICER, division=world.div["XA2"]
    )
    return Books(
        world,
        provider,
        manager,
        items,
        caregivers,
        elders,
        line,
        contract,
        month,
        {"street_xa2": street2},
    )


CANTEEN = {
    "opening_days": [0, 1, 2, 3, 4, 5, 6],
    "meals": ["breakfast", "lunch", "dinner"],
    "price_lunch": Decimal("15.00"),
}


def canteen_of_the_provider(books: Books) -> Canteen:
    """The provider also runs a canteen, with a meal subsidy for those 80 and over."""
    system = SystemActor(Scope(division_prefix="4191"), username="test")
    facility = facility_register(
        actor=system, organisation=books.provider, kind=FacilityKind.ELDERLY_CANTEEN
    )
    EligibilityRule.objects.create(
        name="80岁以上助餐补贴",
        entitlement=EntitlementKind.MEAL_SUBSIDY,
        unit=EntitlementUnit.PER_MEAL,
        amount_yuan=Decimal("5.00"),
        min_age=80,
        valid_from=datetime.date(2020, 1, 1),
    )
    return canteen_register(actor=system, facility=facility, **CANTEEN)


def meal_contract(books: Books, **changes: object) -> Contract:
    """A meal-only contract of the provider for street XA1 (the meal-subsidy line)."""
    line = services.budget_line_create(
        actor=books.world.user[Role.FINANCE_OFFICER],
        city=books.world.div["X"],
        source="city",
        year=books.month.year,
        purpose="meals",
        name="助餐补贴",
        amount_yuan="100000.00",
    )
    values: dict[str, object] = {
        "number": "ZC-001",
        "buyer": books.world.div["XA"],
        "provider": books.provider,
        "budget_line": line,
        "starts_on": books.month - datetime.timedelta(days=30),
        "ends_on": books.month + datetime.timedelta(days=90),
        "cap_yuan": "50000.00",
        "prices": {},
        "areas": [books.world.div["XA1"]],
        "scope": ContractScope.MEALS,
    }
    values.update(changes)
    return services.contract_create(actor=books.world.user[Role.DISTRICT_OFFICER], **values)
