"""A demo-like world for the render tests: ``build_world`` plus one object of each kind every
page lists or shows (elder with contacts and consent, provider with services and caregivers,
an order with an assigned visit, a device with events, an open alert, an assessment, an
eligibility rule, a facility), so that every page of every role has something to render."""

from __future__ import annotations

import datetime
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from tests.alerts.helpers import Clock, bound_device, msg
from tests.assessments.test_workflow import mild_answers
from tests.conftest import World, build_world
from tests.elders.test_import import idn, write_xlsx
from tests.factories import OrganisationFactory, UserFactory, make_elder
from yiyang.alerts.models import Alert
from yiyang.alerts.services import device_messages_ingest
from yiyang.assessments import services as assessments
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.devices import clock as device_clock
from yiyang.devices.services import FLOOD_GATE
from yiyang.elders import importing
from yiyang.elders.services import consent_record, contact_add, family_member_link
from yiyang.facilities.choices import FacilityKind
from yiyang.facilities.services import facility_register
from yiyang.scheduling import services as scheduling
from yiyang.services import services as catalogue
from yiyang.services.models import ServiceItem
from yiyang.supervision.services import complaint_from_family
from yiyang.visits import services as visits
from yiyang.visits.models import Visit

ALL_DAY = {"work_days": [0, 1, 2, 3, 4, 5, 6], "work_start": "00:00", "work_end": "23:59"}


@dataclass
class RichWorld:
    world: World
    objects: dict[str, Any] = field(default_factory=dict)


def build_rich_world() -> RichWorld:
    world = build_world()
    for number, user in enumerate(world.user.values(), start=1):
        user.username = f"user{number:02d}"  # not the role's code, which pages must not show
        user.save(update_fields=["username"])
    rich = RichWorld(world)
    o = rich.objects
    admin = world.user[Role.CITY_ADMIN]
    worker = world.user[Role.COMMUNITY_WORKER]
    city = world.div["X"]
    system = SystemActor(Scope(division_prefix=city.code_prefix), username="test")
    elder = make_elder(
        worker,
        world.div["XA1a"],
        name="刘桂兰",
        address="幸福路1号3单元201",
        lat=Decimal("34.750000"),
        lng=Decimal("113.650000"),
        phones=["13800138000"],
    )
    o["elder"] = elder
    o["contact"] = contact_add(
        actor=admin,
        elder=elder,
        name="李强",
        relation="child",
        phones=["13900139000"],
        is_first_to_call=True,
    )
    today = timezone.localdate()
    o["consent"] = consent_record(
        actor=worker, elder=elder, purpose="family_view", given_by="elder", given_on=today
    )
    family_member_link(actor=worker, elder=elder, user=world.user[Role.FAMILY], relation="child")
    o["user"] = world.user[Role.COMMUNITY_WORKER]
    o["division"] = world.div["XA1a"]
    o["organisation"] = world.org["home_care"]
    _care(rich, system, today)
    _alarm(rich)
    _assessment(rich)
    with tempfile.TemporaryDirectory() as tmp:
        _import_job(rich, Path(tmp))
    facility = OrganisationFactory(
        division=world.div["XA1a"], lat=Decimal("34.751000"), lng=Decimal("113.651000")
    )
    o["facility"] = facility_register(
        actor=system, organisation=facility, kind=FacilityKind.COMMUNITY_STATION
    )
    return rich


def _care(rich: RichWorld, system: SystemActor, today: datetime.date) -> None:
    world, o = rich.world, rich.objects
    catalogue.service_list_load(actor=system, city=world.div["X"])
    items = {item.code: item for item in ServiceItem.objects.filter(city=world.div["X"])}
    provider = world.org["home_care"]
    manager = UserFactory(username="manager_p", role=Role.PROVIDER_MANAGER, organisation=provider)
    for code in ("JW03", "ZY01"):
        catalogue.offering_set(
            actor=manager, provider=provider, item=items[code], price=items[code].standard_price
        )
    catalogue.service_areas_set(actor=manager, provider=provider, divisions=[world.div["XA1"]])
    caregiver = catalogue.caregiver_save(
        actor=manager,
        provider=provider,
        name="王护理",
        skills=["bathing"],
        languages=["mandarin", "local_dialect"],
        user=world.user[Role.CAREGIVER],
        home_lat="34.751",
        home_lng="113.651",
        **ALL_DAY,
    )
    catalogue.certificate_add(
        actor=manager,
        caregiver=caregiver,
        qualification="elder_care_worker",
        number="C-wang",
        expires_on=today + datetime.timedelta(days=365),
    )
    order = visits.order_place(
        actor=world.user[Role.COMMUNITY_WORKER],
        elder=o["elder"],
        provider=provider,
        item=items["JW03"],
        starts_on=today + datetime.timedelta(days=1),
        window_start=datetime.time(10),
        window_end=datetime.time(12),
    )
    visit = visits.visit_assign(actor=manager, visit=order.visits.get(), caregivers=[caregiver])
    o.update(caregiver=caregiver, order=order, visit=visit, manager=manager)
    _done_visit(rich, provider, items["ZY01"], caregiver, manager)


def _done_visit(rich: RichWorld, provider: Any, item: Any, caregiver: Any, manager: Any) -> None:
    """A visit done today, checked in far from the home and out at once: flagged for review,
    rated and complained about by the family."""
    world, o = rich.world, rich.objects
    now = timezone.now()
    order = visits.order_place(
        actor=world.user[Role.COMMUNITY_WORKER],
        elder=o["elder"],
        provider=provider,
        item=item,
        starts_on=timezone.localdate() + datetime.timedelta(days=2),
        window_start=datetime.time(10),
        window_end=datetime.time(12),
    )
    visit = visits.visit_assign(actor=manager, visit=order.visits.get(), caregivers=[caregiver])
    start = now - datetime.timedelta(minutes=10)
    Visit.objects.filter(pk=visit.pk).update(
        date=timezone.localdate(start),
        window_start=start,
        window_end=start + datetime.timedelta(hours=2),
    )
    visit.refresh_from_db()
    user = world.user[Role.CAREGIVER]
    away = visits.Fix(latitude=34.76, longitude=113.66, accuracy=15)
    visit = visits.visit_check_in(actor=user, visit=visit, fix=away)
    visit = visits.visit_check_out(actor=user, visit=visit, fix=away, notes="顺利")
    family = world.user[Role.FAMILY]
    visits.visit_rate(actor=family, visit=visit, stars=4, comment="很好")
    complaint_from_family(actor=family, visit=visit, text="来晚了")
    o["visit"] = [o["visit"], visit]
    run = scheduling.plan_run_start(
        actor=manager,
        provider=provider,
        day=timezone.localdate() + datetime.timedelta(days=1),
        time_limit=1,
        max_iterations=100,
    )
    scheduling.plan_run_execute(run.pk)
    run.refresh_from_db()
    o["plan"] = run


def _import_job(rich: RichWorld, tmp: Path) -> None:
    """A spreadsheet import waiting to run (its page shows the progress)."""
    code = rich.world.div["XA1a"].code
    path = write_xlsx(
        tmp / "a.xlsx",
        [["老年人甲", idn(1), "女", "1940-03-15", "13800138001", code]],
        header=["姓名", "身份证号码", "性别", "出生日期", "联系电话", "所属社区"],
    )
    rich.objects["import_job"] = importing.import_job_create(
        actor=rich.world.user[Role.CITY_ADMIN], filename="a.xlsx", content=path.read_bytes()
    )


def _alarm(rich: RichWorld) -> None:
    world, o = rich.world, rich.objects
    FLOOD_GATE.minute = -1
    with device_clock.use(Clock()):
        device = bound_device(world, o["elder"])
        device_messages_ingest(
            messages=[
                msg(device, "heartbeat", battery=64),
                msg(device, "location", lat=34.75, lng=113.65),
                msg(device, "sos"),
            ]
        )
    o["device"] = device
    o["alert"] = Alert.objects.get()


def _assessment(rich: RichWorld) -> None:
    world, o = rich.world, rich.objects
    assessments.eligibility_rule_create(
        actor=world.user[Role.CITY_ADMIN],
        name="居家服务补贴",
        entitlement="home_care_allowance",
        amount_yuan="300",
        unit="per_month",
        min_level=1,
        max_level=4,
        valid_from=datetime.date(2020, 1, 1),
    )
    from yiyang.assessments.models import EligibilityRule

    o["eligibility"] = EligibilityRule.objects.get()
    requested = assessments.assessment_request(
        actor=world.user[Role.COMMUNITY_WORKER], elder=o["elder"], reason="first"
    )
    scheduled = assessments.assessment_schedule(
        actor=world.user[Role.COMMUNITY_WORKER],
        assessment=requested,
        assessor=world.user[Role.ASSESSOR],
        scheduled_at=timezone.now(),
        place="家中",
    )
    o["assessment"] = assessments.assessment_submit(
        actor=world.user[Role.ASSESSOR],
        assessment=scheduled,
        values={"answers": mild_answers()},
    )
