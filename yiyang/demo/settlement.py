"""Government-purchased services in the demo city, through the services: the central and
provincial grants the source texts name (2,800万 and 750万 yuan) as budget lines shared
among the districts, a purchase contract with each demo home-care provider at its own
prices for the areas it serves, a meal-only contract with the demo canteen, and last
month settled: a draft statement per contract, the provider_manager's confirmed and waiting
for its street's verification, so that every role of the workflow finds work on the first
start."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.choices import DivisionLevel
from yiyang.core.models import Division
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.services import CITY_CODE
from yiyang.meals.models import Canteen
from yiyang.organisations.models import Organisation
from yiyang.services.models import ServiceArea, ServiceOffering
from yiyang.settlement import services
from yiyang.settlement.choices import ContractScope, FundPurpose, FundSource
from yiyang.settlement.models import BudgetLine, Contract
from yiyang.settlement.services.schedule import previous_month

GRANTS = (
    (FundSource.CENTRAL, FundPurpose.HOME_CARE, "中央财政居家和社区养老服务补助", "28000000.00"),
    (FundSource.PROVINCIAL, FundPurpose.MEALS, "省级老年助餐服务补助", "7500000.00"),
)


@dataclass
class DemoSettlement:
    created: bool = False
    lines: int = 0
    contracts: int = 0
    statements: int = 0
    held: int = 0


def demo_settlement_build(
    *, city_prefix: str = CITY_CODE[:4], today: datetime.date | None = None
) -> DemoSettlement:
    """Once: nothing when the city already has a budget line. ``today`` (default: the
    city's date) decides the year's grants and the month settled (the one before)."""
    city = Division.objects.filter(code__startswith=city_prefix, level=DivisionLevel.CITY).first()
    if city is None or BudgetLine.objects.filter(division_code__startswith=city_prefix).exists():
        return DemoSettlement()
    scope = Scope(division_prefix=city_prefix)
    finance = SystemActor(scope, username="seed-demo", role=Role.FINANCE_OFFICER.value)
    buyer = SystemActor(scope, username="seed-demo", role=Role.CITY_ADMIN.value)
    today = today or timezone.localdate()
    with transaction.atomic():
        lines = {
            purpose: _grant(finance, city, source, purpose, name, amount, today.year)
            for source, purpose, name, amount in GRANTS
        }
        contracts = _home_care_contracts(buyer, city, lines[FundPurpose.HOME_CARE], today)
        contracts += _meal_contract(buyer, lines[FundPurpose.MEALS], today)
    result = DemoSettlement(created=True, lines=len(lines), contracts=len(contracts))
    settled = services.settle_month(actor=finance, month=previous_month(today))
    result.statements, result.held = len(settled.statements), settled.held
    _confirm_main(settled.statements)
    return result


def _grant(
    finance: SystemActor,
    city: Division,
    source: str,
    purpose: str,
    name: str,
    amount: str,
    year: int,
) -> BudgetLine:
    """A year's grant, shared among the districts by their elders (60 and over)."""
    line = services.budget_line_create(
        actor=finance,
        city=city,
        source=source,
        year=year,
        purpose=purpose,
        name=name,
        amount_yuan=amount,
    )
    districts = list(
        Division.objects.filter(code__startswith=city.code_prefix, level=DivisionLevel.DISTRICT)
    )
    weights = {d.pk: _population(d) for d in districts}
    total = sum(weights.values()) or 1
    for district in districts:
        share = (line.amount_yuan * weights[district.pk] / total).quantize(
            Decimal("1000"), ROUND_FLOOR
        )
        services.allocation_set(actor=finance, line=line, district=district, amount_yuan=share)
    return line


def _population(district: Division) -> int:
    return sum(
        Division.objects.filter(
            code__startswith=district.code_prefix, level=DivisionLevel.COMMUNITY
        ).values_list("population_60_plus", flat=True)
    )


def _home_care_contracts(
    buyer: SystemActor, city: Division, line: BudgetLine, today: datetime.date
) -> list[Contract]:
    """Each provider with offerings: its own prices, the areas it serves, bought by the
    district it serves (a station serving a street, by the street's district)."""
    contracts = []
    providers = Organisation.objects.filter(
        offerings__isnull=False, division__code__startswith=city.code_prefix
    ).distinct()
    for number, provider in enumerate(providers.order_by("id"), start=1):
        areas = [a.division for a in ServiceArea.objects.filter(provider=provider)]
        prices = {
            o.item: o.price
            for o in ServiceOffering.objects.filter(provider=provider, is_active=True)
            .select_related("item")
            .order_by("item__code")
        }
        if not areas or not prices:
            continue
        district = Division.objects.get(code=areas[0].code[:6] + "000000")
        contracts.append(
            services.contract_create(
                actor=buyer,
                number=f"ZFGM-{today.year}-{number:03d}",
                buyer=district,
                provider=provider,
                budget_line=line,
                starts_on=datetime.date(today.year - 1, 1, 1),
                ends_on=datetime.date(today.year + 1, 12, 31),
                cap_yuan="1200000.00",
                prices=prices,
                areas=[a for a in areas if a.code.startswith(district.code_prefix)],
                on_time_target=90,
                verified_target=95,
                complaints_limit=3,
            )
        )
    return contracts


def _meal_contract(buyer: SystemActor, line: BudgetLine, today: datetime.date) -> list[Contract]:
    """The demo canteen's served meals are bought by its district."""
    staff = User.objects.filter(username="canteen").select_related("organisation").first()
    canteen = staff.organisation if staff is not None else None
    if canteen is None or canteen.division is None:
        return []
    if not Canteen.objects.filter(organisation=canteen).exists():
        return []  # meal assistance not built (the demo builds it first)
    district = Division.objects.get(code=canteen.division.code[:6] + "000000")
    contract = services.contract_create(
        actor=buyer,
        number=f"ZFGM-{today.year}-ZC01",
        buyer=district,
        provider=canteen,
        budget_line=line,
        starts_on=datetime.date(today.year - 1, 1, 1),
        ends_on=datetime.date(today.year + 1, 12, 31),
        cap_yuan="300000.00",
        prices={},
        areas=[district],
        scope=ContractScope.MEALS,
    )
    return [contract]


def _confirm_main(statements: list) -> None:
    """The provider_manager has confirmed its company's statement: the street verifies."""
    manager = User.objects.filter(username="provider_manager").first()
    if manager is None:
        return
    for statement in statements:
        if statement.contract.provider_id == manager.organisation_id:
            services.statement_confirm(actor=manager, statement=statement)
