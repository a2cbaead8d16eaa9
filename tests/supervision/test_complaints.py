"""The complaint register: channels and scope, deadlines in working days, escalation,
closure with satisfaction, reopening, and the move of the family page's complaints."""

from __future__ import annotations

import datetime
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import World
from tests.visits.conftest import Care, care  # noqa: F401 - the fixture
from tests.visits.test_services import delivered_visit
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.supervision import services
from yiyang.supervision.choices import ComplaintStatus, EscalationLevel
from yiyang.supervision.models import CalendarDay, Complaint
from yiyang.visits import services as visit_services
from yiyang.visits.models import Complaint as VisitComplaint


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
    register(world, at("2025-03-03"))
    call_command("escalate-overdue")
    assert capsys.readouterr().out.strip() == '{"complaints": 1, "rectifications": 0}'


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
    legacy = visit_services.complaint_make(actor=care.family, visit=visit, text="迟到半小时")
    complaint = Complaint.objects.get(legacy=legacy)
    visit_services.complaint_answer(actor=care.manager, complaint=legacy, answer="已致歉")
    answered = Complaint.objects.get(pk=complaint.pk)
    assert (answered.status, answered.answer) == ("closed", "已致歉")
    assert (complaint.channel, complaint.visit_id, complaint.organisation_id, complaint.text) == (
        "family_page",
        visit.pk,
        visit.provider_id,
        "迟到半小时",
    )


def test_the_migration_moves_existing_complaints_without_loss(care: Care) -> None:  # noqa: F811
    visit = delivered_visit(care)
    old = [
        VisitComplaint.objects.create(
            visit=visit,
            provider_id=visit.provider_id,
            status=status,
            division_code=visit.division_code,
            text=f"投诉{n}",
            answer="已处理" if status != "open" else "",
            made_by=care.family,
        )
        for n, status in enumerate(["open", "answered", "closed"])
    ]
    migration = importlib.import_module(
        "yiyang.supervision.migrations.0002_seed_and_adopt_complaints"
    )
    migration.adopt_complaints(apps, None)
    moved = {c.legacy_id: c for c in Complaint.objects.all()}
    assert set(moved) == {c.pk for c in old}
    assert [
        (moved[c.pk].text, moved[c.pk].status, moved[c.pk].answer, moved[c.pk].made_by_id)
        for c in old
    ] == [
        ("投诉0", "received", "", care.family.pk),
        ("投诉1", "answered", "已处理", care.family.pk),
        ("投诉2", "closed", "已处理", care.family.pk),
    ]
    assert all(c.events.get().kind == "migrated" for c in moved.values())
