"""The yearly plan's minimum per institution and kind; findings, rectification, closure."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from tests.conftest import World, login
from tests.factories import OrganisationFactory
from tests.supervision.conftest import jpeg
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.organisations.choices import OrganisationKind
from yiyang.supervision import services
from yiyang.supervision.choices import EscalationLevel, InspectionKind, RectificationStatus
from yiyang.supervision.models import Inspection, Rectification
from yiyang.supervision.services.inspections import due_dates

ANSWERS = {"fire_exits": True, "extinguishers": True, "alarms": False, "drills": True}


def test_due_dates_spread_over_the_year() -> None:
    assert due_dates(2026, 2) == [datetime.date(2026, 6, 30), datetime.date(2026, 12, 31)]
    assert due_dates(2026, 1) == [datetime.date(2026, 12, 31)]
    assert len(set(due_dates(2026, 4))) == 4


def test_the_plan_gives_every_institution_the_minimum_of_every_kind(sup: World) -> None:
    second = OrganisationFactory(
        name="院XA2a", kind=OrganisationKind.CARE_INSTITUTION, division=sup.div["XA2a"]
    )
    OrganisationFactory(
        name="院XB1a", kind=OrganisationKind.CARE_INSTITUTION, division=sup.div["XB1a"]
    )  # another district: not in this plan
    officer = sup.user[Role.DISTRICT_OFFICER]
    services.inspection_plan_generate(actor=officer, district=sup.div["XA"], year=2026)
    counts = set(Inspection.objects.values_list("organisation_id", "kind").annotate(n=Count("pk")))
    institutions = {sup.org["institution_XA1a"].pk, second.pk}
    assert counts == {(o, k, 2) for o in institutions for k in InspectionKind.values}
    # One inspection done already, a new institution registered: running again tops up only.
    third = OrganisationFactory(
        name="院XA1b", kind=OrganisationKind.CARE_INSTITUTION, division=sup.div["XA1b"]
    )
    services.inspection_plan_generate(actor=officer, district=sup.div["XA"], year=2026)
    assert Inspection.objects.count() == 3 * 4 * 2
    assert Inspection.objects.filter(organisation=third).count() == 8


def test_a_plan_outside_the_jurisdiction_is_refused(sup: World) -> None:
    with pytest.raises(PermissionDenied):
        services.inspection_plan_generate(
            actor=sup.user[Role.DISTRICT_OFFICER], district=sup.div["XB"], year=2026
        )


def _inspection(sup: World) -> Inspection:
    services.inspection_plan_generate(
        actor=sup.user[Role.CITY_ADMIN], district=sup.div["XA"], year=2026, per_kind=1
    )
    return Inspection.objects.get(kind=InspectionKind.FIRE)


def test_a_failed_item_fails_the_inspection_and_findings_get_orders(sup: World) -> None:
    inspection = _inspection(sup)
    services.inspection_record(
        actor=sup.user[Role.STREET_OFFICER],
        inspection=inspection,
        answers=ANSWERS,
        findings=[{"severity": "major", "text": "烟感失效"}],
        lat="34.75",
        lng="113.65",
        photos=[jpeg(), jpeg((200, 10, 10))],
    )
    inspection.refresh_from_db()
    assert (inspection.status, inspection.result) == ("done", "failed")
    assert inspection.photos == 2 and inspection.photo_files.count() == 2
    order = Rectification.objects.get()
    assert order.status == RectificationStatus.OPEN and order.deadline > datetime.date(2026, 1, 1)


def test_an_incomplete_checklist_is_refused_and_nothing_written(sup: World) -> None:
    inspection = _inspection(sup)
    with pytest.raises(ValidationError) as error:
        services.inspection_record(
            actor=sup.user[Role.STREET_OFFICER],
            inspection=inspection,
            answers={"fire_exits": True},
            findings=[{"severity": "bad", "text": ""}],
        )
    assert set(error.value.message_dict) == {"answers", "findings[0]"}
    inspection.refresh_from_db()
    assert inspection.status == "planned" and not Rectification.objects.exists()


def test_a_rectification_closes_only_on_a_response_with_evidence(sup: World) -> None:
    inspection = _inspection(sup)
    services.inspection_record(
        actor=sup.user[Role.STREET_OFFICER],
        inspection=inspection,
        answers=ANSWERS,
        findings=[{"severity": "minor", "text": "x"}],
    )
    order = Rectification.objects.get()
    with pytest.raises(ValidationError, match="evidence"):
        services.rectification_close(actor=sup.user[Role.STREET_OFFICER], rectification=order)
    with pytest.raises(ValidationError, match="evidence"):
        services.rectification_respond(
            actor=sup.user["manager_inst"], rectification=order, response="已更换", evidence=[]
        )
    with pytest.raises(PermissionDenied):
        services.rectification_respond(
            actor=sup.user[Role.PROVIDER_MANAGER],
            rectification=order,
            response="x",
            evidence=[jpeg()],
        )
    services.rectification_respond(
        actor=sup.user["manager_inst"],
        rectification=order,
        response="已更换烟感",
        evidence=[jpeg(), jpeg()],
    )
    services.rectification_close(actor=sup.user[Role.STREET_OFFICER], rectification=order)
    order.refresh_from_db()
    assert order.status == RectificationStatus.CLOSED
    assert order.evidence == 2 and order.photo_files.count() == 2


def test_an_overdue_rectification_goes_to_the_district_then_the_city(sup: World) -> None:
    inspection = _inspection(sup)
    services.inspection_record(
        actor=sup.user[Role.STREET_OFFICER],
        inspection=inspection,
        answers=ANSWERS,
        findings=[{"severity": "major", "text": "烟感失效"}, {"severity": "minor", "text": "x"}],
    )
    first, second = Rectification.objects.order_by("id")
    Rectification.objects.update(deadline=datetime.date(2025, 3, 3))  # a Monday
    services.rectification_respond(
        actor=sup.user["manager_inst"], rectification=second, response="已整改", evidence=[jpeg()]
    )
    services.rectification_close(actor=sup.user[Role.STREET_OFFICER], rectification=second)
    actor = SystemActor(Scope(division_prefix=""))

    def escalate(day: str) -> int:
        moment = timezone.make_aware(datetime.datetime.fromisoformat(f"{day}T10:00"))
        return services.overdue_escalate(actor=actor, now=moment)["rectifications"]

    assert escalate("2025-03-03") == 0  # due today: not late
    assert escalate("2025-03-04") == 1
    first.refresh_from_db()
    assert first.escalation == EscalationLevel.DISTRICT
    assert escalate("2025-03-10") == 0  # five working days late: still the district's
    assert escalate("2025-03-11") == 1  # six: the city's
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.escalation, second.escalation) == (EscalationLevel.CITY, EscalationLevel.NONE)
    assert escalate("2025-04-01") == 0  # never raised twice


def test_a_reinspection_that_finds_it_not_put_right_sends_the_order_back(sup: World) -> None:
    inspection = _inspection(sup)
    services.inspection_record(
        actor=sup.user[Role.STREET_OFFICER],
        inspection=inspection,
        answers=ANSWERS,
        findings=[{"severity": "major", "text": "烟感失效"}],
    )
    order = Rectification.objects.get()
    inspector = sup.user[Role.STREET_OFFICER]
    with pytest.raises(ValidationError) as error:  # nothing responded yet, and no reason
        services.rectification_return(actor=inspector, rectification=order, reason=" ")
    assert set(error.value.message_dict) == {"status", "reason"}
    manager = sup.user["manager_inst"]
    services.rectification_respond(
        actor=manager, rectification=order, response="已更换", evidence=[jpeg()]
    )
    with pytest.raises(PermissionDenied):
        services.rectification_return(actor=manager, rectification=order, reason="x")
    # Through the page, as the inspector does it on site.
    page = login(Client(), inspector)
    page.post(
        f"/supervision/rectifications/{order.external_id}/",
        {"step": "return", "reason": "三楼烟感仍不报警"},
    )
    order.refresh_from_db()
    assert (order.status, order.reinspection_note) == ("open", "三楼烟感仍不报警")
    assert "三楼烟感仍不报警" in page.get("/supervision/inspections/").content.decode()
    with pytest.raises(ValidationError, match="evidence"):
        services.rectification_close(actor=inspector, rectification=order)
    services.rectification_respond(
        actor=manager, rectification=order, response="已全部更换", evidence=[jpeg((1, 2, 3))]
    )
    services.rectification_close(actor=inspector, rectification=order)
    order.refresh_from_db()
    assert (order.status, order.evidence) == ("closed", 2)
