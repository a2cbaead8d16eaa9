"""The working-day calendar the city edits: holidays on weekdays, weekend days worked;
deadlines given afterwards follow it; only the city edits, nothing half-written."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import World, login
from yiyang.core.audit import AuditEvent
from yiyang.core.permissions import Role
from yiyang.supervision import services
from yiyang.supervision.models import CalendarDay

MONDAY = datetime.date(2024, 3, 4)  # a year the shipped calendar leaves out


def answer_day(world: World, received: datetime.date) -> datetime.date:
    complaint = services.complaint_register(
        actor=world.user[Role.OPERATOR],
        channel="walk_in",
        text="投诉",
        organisation=world.org["institution_XA1a"],
        received_at=timezone.make_aware(datetime.datetime.combine(received, datetime.time(10))),
    )
    return timezone.localdate(complaint.acknowledge_by)


def test_a_holiday_entered_by_the_city_moves_later_deadlines(
    world: World, settings: object
) -> None:
    friday = MONDAY - datetime.timedelta(days=3)
    assert answer_day(world, friday) == MONDAY
    city = world.user[Role.CITY_ADMIN]
    services.calendar_day_set(actor=city, day=MONDAY, kind="holiday", name="本市假日")
    assert answer_day(world, friday) == MONDAY + datetime.timedelta(days=1)
    # A Saturday worked in exchange is a working day.
    saturday = MONDAY - datetime.timedelta(days=2)
    services.calendar_day_set(actor=city, day=saturday, kind="workday", name="调休")
    assert answer_day(world, friday) == saturday
    services.calendar_day_remove(actor=city, day=saturday)
    services.calendar_day_remove(actor=city, day=MONDAY)
    assert answer_day(world, friday) == MONDAY
    assert AuditEvent.objects.filter(object_type="supervision.calendarday").count() == 4


def test_days_that_change_nothing_and_other_roles_are_refused(world: World) -> None:
    city = world.user[Role.CITY_ADMIN]
    with pytest.raises(ValidationError) as error:
        services.calendar_day_set(actor=city, day=MONDAY, kind="workday", name="")
    assert set(error.value.message_dict) == {"date", "name"}
    with pytest.raises(ValidationError, match="rest day"):
        services.calendar_day_set(
            actor=city, day=MONDAY + datetime.timedelta(days=5), kind="holiday", name="x"
        )
    with pytest.raises(ValidationError):
        services.calendar_day_remove(actor=city, day=MONDAY)
    with pytest.raises(PermissionDenied):
        services.calendar_day_set(
            actor=world.user[Role.DISTRICT_OFFICER], day=MONDAY, kind="holiday", name="x"
        )
    assert not CalendarDay.objects.filter(date__year=2024).exists()


def test_the_page_shows_the_year_and_lets_the_city_edit_it(world: World) -> None:
    officer = login(Client(), world.user[Role.STREET_OFFICER])
    html = officer.get("/supervision/calendar/?year=2026").content.decode()
    assert "2026-10-01" in html and "data-uncertain" in html and 'name="kind"' not in html
    assert officer.post("/supervision/calendar/", {"date": "2024-03-04"}).status_code == 403
    city = login(Client(), world.user[Role.CITY_ADMIN])
    response = city.post(
        "/supervision/calendar/",
        {"date": "2024-03-04", "kind": "holiday", "name": "本市假日", "step": "set"},
        follow=True,
    )
    assert "本市假日" in response.content.decode()
    assert CalendarDay.objects.get(date=MONDAY).kind == "holiday"
    response = city.post("/supervision/calendar/", {"date": "soon", "kind": "holiday"}, follow=True)
    assert "YYYY-MM-DD" in response.content.decode()
    city.post("/supervision/calendar/", {"date": "2024-03-04", "step": "remove"})
    assert not CalendarDay.objects.filter(date=MONDAY).exists()
    assert (
        login(Client(), world.user[Role.EVALUATOR]).get("/supervision/calendar/").status_code == 403
    )
