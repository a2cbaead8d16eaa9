"""The complaint register: channels and scope, deadlines in working days, escalation,
closure with satisfaction, reopening, and the move of the family page's complaints."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from tests.conftest import World, login, token_for
from tests.visits.conftest import Care, care  # noqa: F401 - the fixture
from tests.visits.test_visit_checks import delivered_visit
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.supervision import selectors, services
from yiyang.supervision.choices import ComplaintStatus, EscalationLevel
from yiyang.supervision.models import CalendarDay, Complaint


def at(day: str, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


def register(world: World, received: datetime.datetime | None = None, **extra: Any) -> Complaint:
    values: dict[str, Any] = {
        "channel": "call_centre",
        "text": "护理员态度差",
        "organisation": world.org["institution_XA1a"],
    }
    values.update(extra)
    return services.complaint_register(
        actor=world.user[Role.OPERATOR], received_at=received, **values
    )


def test_deadlines_count_working_days_across_a_holiday(world: World) -> None:
    complaint = register(world, at("2025-09-30", 16))  # Tuesday before the National Day week
    assert timezone.localtime(complaint.acknowledge_by).date() == datetime.date(2025, 10, 9)
    # 9, 10, 11 (worked Saturday), 13-17, 20-24, 27, 28 = 15 working days
    assert timezone.localtime(complaint.answer_by).date() == datetime.date(2025, 10, 28)
    assert complaint.number.startswith("TS20250930")


def test_unconfirmed_holidays_count_only_when_the_setting_says_so(
    world: Any, settings: Any
) -> None:
    assert CalendarDay.objects.get(date=datetime.date(2026, 10, 1)).uncertain
    ignored = register(world, at("2026-09-30"))
    assert timezone.localtime(ignored.acknowledge_by).date() == datetime.date(2026, 10, 1)
    settings.SUPERVISION_UNCERTAIN_DAYS = "apply"
    applied = register(world, at("2026-09-30"))
    assert timezone.localtime(applied.acknowledge_by).date() == datetime.date(2026, 10, 8)


def test_a_complaint_outside_the_channels_scope_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        services.complaint_register(
            actor=world.user[Role.COMMUNITY_WORKER],
            channel="walk_in",
            text="x",
            organisation=world.org["station_XB1a"],
        )
    assert "outside your jurisdiction" in str(error.value.message_dict["organisation"])
    assert not Complaint.objects.exists()


def test_bad_input_names_every_field(world: World) -> None:
    register(world, work_order="GD001", channel="hotline_12345")
    with pytest.raises(ValidationError) as error:
        services.complaint_register(
            actor=world.user[Role.OPERATOR],
            channel="fax",
            text=" ",
            category="x",
            organisation=None,
            received_at=timezone.now() + datetime.timedelta(days=1),
            work_order="GD001",
        )
    assert set(error.value.message_dict) == {
        "channel",
        "text",
        "category",
        "organisation",
        "received_at",
        "work_order",
    }
    assert Complaint.objects.count() == 1


def test_overdue_complaints_go_to_the_district_then_the_city(world: World) -> None:
    complaint = register(world, at("2025-03-03"))  # Monday: acknowledge by Tuesday 4th
    actor = SystemActor(Scope(division_prefix=""))
    assert services.overdue_escalate(actor=actor, now=at("2025-03-04", 20)) == {
        "complaints": 0,
        "rectifications": 0,
    }
    services.overdue_escalate(actor=actor, now=at("2025-03-05"))
    complaint.refresh_from_db()
    assert complaint.escalation == EscalationLevel.DISTRICT
    services.overdue_escalate(actor=actor, now=at("2025-03-11"))  # 5 working days late
    complaint.refresh_from_db()
    assert complaint.escalation == EscalationLevel.DISTRICT
    services.overdue_escalate(actor=actor, now=at("2025-03-12"))  # 6
    complaint.refresh_from_db()
    assert complaint.escalation == EscalationLevel.CITY
    assert list(complaint.events.values_list("kind", flat=True)) == [
        "received",
        "escalated",
        "escalated",
    ]


def test_the_escalation_command_runs(world: World, capsys: Any) -> None:
    complaint = register(world, at("2025-03-03"))
    # As of a moment before the deadline nothing moves; as of today it goes up.
    call_command("escalate-overdue", "--now", "2025-03-03T12:00+08:00")
    assert capsys.readouterr().out.strip() == '{"complaints": 0, "rectifications": 0}'
    call_command("escalate-overdue")
    assert capsys.readouterr().out.strip() == '{"complaints": 1, "rectifications": 0}'
    complaint.refresh_from_db()
    assert complaint.escalation == EscalationLevel.CITY
    with pytest.raises(CommandError, match="offset"):
        call_command("escalate-overdue", "--now", "2025-03-03T12:00")


def test_answer_close_with_satisfaction_and_reopen(world: World) -> None:
    complaint = register(world)
    officer = world.user[Role.STREET_OFFICER]
    services.complaint_acknowledge(actor=officer, complaint=complaint)
    services.complaint_answer(actor=officer, complaint=complaint, answer="已约谈机构")
    services.complaint_close(actor=officer, complaint=complaint, satisfied=False)
    with pytest.raises(ValidationError, match="not open"):
        services.complaint_answer(actor=officer, complaint=complaint, answer="again")
    services.complaint_reopen(actor=officer, complaint=complaint, reason="家属不满意")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.satisfied) == (ComplaintStatus.RECEIVED, None)
    with pytest.raises(PermissionDenied):
        services.complaint_acknowledge(actor=world.user[Role.PROVIDER_MANAGER], complaint=complaint)


def test_a_family_page_complaint_enters_the_register(care: Care) -> None:  # noqa: F811
    visit = delivered_visit(care)
    complaint = services.complaint_from_family(actor=care.family, visit=visit, text="迟到半小时")
    assert (complaint.channel, complaint.visit_id, complaint.organisation_id, complaint.text) == (
        "family_page",
        visit.pk,
        visit.provider_id,
        "迟到半小时",
    )
    assert complaint.made_by_id == care.family.pk and complaint.status == "received"
    # The provider sees it in the register and answers it there: one path.
    assert list(selectors.complaint_queryset(actor=care.manager)) == [complaint]
    services.complaint_answer(actor=care.manager, complaint=complaint, answer="已致歉")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.answer) == ("answered", "已致歉")
    # Only the family of the visit's elder complains, with a text.
    with pytest.raises(PermissionDenied):
        services.complaint_from_family(actor=care.manager, visit=visit, text="x")
    with pytest.raises(ValidationError) as error:
        services.complaint_from_family(actor=care.family, visit=visit, text=" ", category="x")
    assert set(error.value.message_dict) == {"text", "category"}
    assert Complaint.objects.count() == 1


def test_the_family_pages_old_complaint_addresses_redirect(care: Care) -> None:  # noqa: F811
    visit = delivered_visit(care)
    family = login(Client(), care.family)
    old = family.post(f"/family/visits/{visit.external_id}/complain/", {"text": "迟到"})
    assert old.status_code == 308
    response = family.post(old["Location"], {"text": "迟到"})
    assert response.status_code == 302 and Complaint.objects.get().text == "迟到"
    complaint = Complaint.objects.get()
    Complaint.objects.filter(pk=complaint.pk).update(legacy_external_id=uuid.uuid4())
    complaint.refresh_from_db()
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(care.manager)}")
    listing = api.get("/api/v1/complaints/")
    assert (listing.status_code, listing["Location"]) == (301, "/api/v1/supervision/complaints/")
    answer = api.post(f"/api/v1/complaints/{complaint.legacy_external_id}/answer/", {})
    assert answer.status_code == 308
    assert answer["Location"] == f"/api/v1/supervision/complaints/{complaint.external_id}/step/"
    assert api.post(f"/api/v1/complaints/{uuid.uuid4()}/answer/", {}).status_code == 404
    complain = Client(HTTP_AUTHORIZATION=f"Token {token_for(care.family)}").post(
        f"/api/v1/visits/{visit.external_id}/complain/", {"text": "x"}
    )
    assert complain.status_code == 308
    assert complain["Location"] == f"/api/v1/supervision/complaints/family/{visit.external_id}/"
    made = Client(HTTP_AUTHORIZATION=f"Token {token_for(care.family)}").post(
        complain["Location"], {"text": "又迟到"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["visit"] == str(visit.external_id)


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_complaints_without_loss(care: Care) -> None:  # noqa: F811
    """Back to the schema before the register took the family page's complaints over, with
    complaints in the old table (one already mirrored in the register), then forward."""
    visit = delivered_visit(care)
    before = [("supervision", "0003_evidence_photos"), ("visits", "0003_encrypt_visit_notes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_model = old_apps.get_model("visits", "Complaint")
    old = [
        old_model.objects.create(
            visit_id=visit.pk,
            provider_id=visit.provider_id,
            status=status,
            division_code=visit.division_code,
            text=f"投诉{n}",
            made_by_id=care.family.pk,
            answer="已处理" if status != "open" else "",
        )
        for n, status in enumerate(["open", "answered", "closed"])
    ]
    now = timezone.now()
    old_apps.get_model("supervision", "Complaint").objects.create(
        number="TS-mirrored",
        channel="family_page",
        organisation_id=visit.provider_id,
        division_code=visit.division_code,
        visit_id=visit.pk,
        legacy_id=old[1].pk,
        text="投诉1",
        status="answered",
        received_at=now,
        acknowledge_by=now,
        answer_by=now,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    moved = {c.legacy_external_id: c for c in Complaint.objects.all()}
    assert set(moved) == {c.external_id for c in old}  # each once, none lost
    assert [
        (m.text, m.status, m.answer, m.made_by_id, m.visit_id)
        for m in (moved[c.external_id] for c in old)
    ] == [
        ("投诉0", "received", "", care.family.pk, visit.pk),
        ("投诉1", "answered", "已处理", None, visit.pk),  # the mirror, its answer filled in
        ("投诉2", "closed", "已处理", care.family.pk, visit.pk),
    ]
    assert moved[old[1].external_id].number == "TS-mirrored"
    assert [
        m.events.get().kind for m in (moved[old[0].external_id], moved[old[2].external_id])
    ] == [
        "migrated",
        "migrated",
    ]
    assert "visits_complaint" not in connection.introspection.table_names()


def test_the_caregiver_or_meal_concerned_must_be_the_organisations(care: Care) -> None:  # noqa: F811
    caregiver = care.provider.caregivers.get(name="王护理")
    operator = care.world.user[Role.OPERATOR]
    complaint = services.complaint_register(
        actor=operator,
        channel="call_centre",
        organisation=care.provider,
        text="态度差",
        caregiver_id=str(caregiver.external_id),
    )
    assert complaint.caregiver == caregiver and complaint.meal is None
    with pytest.raises(ValidationError) as error:
        services.complaint_register(
            actor=operator,
            channel="call_centre",
            organisation=care.world.org["institution_XA1a"],
            text="x",
            caregiver_id=str(caregiver.external_id),
            meal_id="not-an-id",
        )
    assert set(error.value.message_dict) == {"caregiver", "meal"}
    assert Complaint.objects.count() == 1
    # A family-page complaint names the visit's caregiver.
    visit = delivered_visit(care)
    made = services.complaint_from_family(actor=care.family, visit=visit, text="迟到")
    assert made.caregiver_id == visit.caregiver_id is not None


# --- Assignment to a named handler ---------------------------------------------------------


def test_a_complaint_is_assigned_to_a_handler_who_covers_it(world: World) -> None:
    from yiyang.core.models import AuditEvent

    complaint = register(world)  # institution in XA1a
    names = [u.username for u in services.complaint_assignees(complaint)]
    assert {"city_admin", "district_officer", "street_officer"} <= set(names)
    assert "admin_y" not in names  # another city's administrator
    services.complaint_assign(
        actor=world.user[Role.DISTRICT_OFFICER],
        complaint=complaint,
        assignee="street_officer",
        note="请街道核实",
    )
    complaint.refresh_from_db()
    assert complaint.assigned_to == world.user[Role.STREET_OFFICER]
    event = complaint.events.filter(kind="assigned").get()
    assert "street_officer" in event.note and "请街道核实" in event.note
    assert AuditEvent.objects.filter(
        object_id=str(complaint.external_id), changes__assigned_to=[None, "street_officer"]
    ).exists()


def test_assignment_outside_the_complaints_scope_or_when_closed_is_refused(
    world: World,
) -> None:
    complaint = register(world)
    with pytest.raises(ValidationError) as error:
        services.complaint_assign(
            actor=world.user[Role.CITY_ADMIN], complaint=complaint, assignee="admin_y"
        )
    assert "assignee" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.complaint_assign(
            actor=world.user[Role.AUDITOR], complaint=complaint, assignee="street_officer"
        )
    Complaint.objects.filter(pk=complaint.pk).update(status=ComplaintStatus.CLOSED)
    complaint.refresh_from_db()
    with pytest.raises(ValidationError):
        services.complaint_assign(
            actor=world.user[Role.CITY_ADMIN], complaint=complaint, assignee="street_officer"
        )
    complaint.refresh_from_db()
    assert complaint.assigned_to is None and not complaint.events.filter(kind="assigned")


def test_the_page_and_the_api_assign_alike(world: World) -> None:
    complaint = register(world)
    page = login(Client(), world.user[Role.DISTRICT_OFFICER])
    html = page.get(f"/supervision/complaints/{complaint.external_id}/").content.decode()
    assert 'id="assign-form"' in html and 'value="street_officer"' in html
    page.post(
        f"/supervision/complaints/{complaint.external_id}/",
        {"step": "assign", "assignee": "street_officer"},
    )
    complaint.refresh_from_db()
    assert complaint.assigned_to == world.user[Role.STREET_OFFICER]
    api = Client().post(
        f"/api/v1/supervision/complaints/{complaint.external_id}/step/",
        {"step": "assign", "assignee": "district_officer"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token_for(world.user[Role.CITY_ADMIN])}",
    )
    assert api.status_code == 200, api.content
    complaint.refresh_from_db()
    assert complaint.assigned_to == world.user[Role.DISTRICT_OFFICER]
    refused = Client().post(
        f"/api/v1/supervision/complaints/{complaint.external_id}/step/",
        {"step": "assign", "assignee": "nobody"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token_for(world.user[Role.CITY_ADMIN])}",
    )
    assert refused.status_code == 400 and "assignee" in refused.json()


def test_the_register_page_names_the_caregiver_concerned(care: Care) -> None:  # noqa: F811
    from yiyang.supervision.models import Complaint as Registered

    world = care.world
    page = login(Client(), world.user[Role.CITY_ADMIN])
    form = {
        "channel": "call_centre",
        "category": "service_quality",
        "text": "护理员迟到",
        "organisation": str(care.provider.external_id),
    }
    assert 'name="caregiver"' in page.get("/supervision/complaints/").content.decode()
    page.post("/supervision/complaints/new/", {**form, "caregiver": "王护理"})
    complaint = Registered.objects.get()
    assert complaint.caregiver == care.caregivers["wang"]
    refused = page.post(
        "/supervision/complaints/new/", {**form, "caregiver": "无此人"}, follow=True
    )
    assert "无此人" in refused.content.decode() and Registered.objects.count() == 1
