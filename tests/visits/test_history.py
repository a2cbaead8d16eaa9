"""The bulk history path leaves exactly what the single-visit services leave for the same
steps: the visit's state, its events and their details, its flags and its audit rows, each
stamped with the moment it happened (the services run with the clock set there)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from tests.visits.conftest import HOME, Care, fix
from yiyang.core.clock import clock_at
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.visits import services
from yiyang.visits.models import Visit

pytestmark = pytest.mark.django_db

FAR = (HOME[0] + 0.01, HOME[1])  # about 1.1 km from the elder's door: out of range


def _at(visit: Visit, minutes: int) -> datetime.datetime:
    return visit.window_start + datetime.timedelta(minutes=minutes)


def _left(visit: Visit) -> dict[str, Any]:
    """What a visit's past left, with every time relative to its window's start."""
    visit.refresh_from_db()

    def rel(moment: datetime.datetime | None) -> float | None:
        return None if moment is None else (moment - visit.window_start).total_seconds()

    audit = AuditEvent.objects.filter(object_id=str(visit.external_id)).order_by("at", "id")
    return {
        "state": (visit.status, visit.review_status, visit.is_late, visit.outcome),
        "times": [rel(visit.check_in_at), rel(visit.check_out_at), rel(visit.confirmed_at)],
        "where": (visit.check_in_distance, visit.check_out_distance, visit.tasks_done),
        "events": [(e.kind, e.detail, rel(e.at), rel(e.recorded_at)) for e in visit.events.all()],
        "flags": [(f.code, f.detail, f.explanation, rel(f.raised_at)) for f in visit.flags.all()],
        "audit": [(a.action, a.changes, rel(a.at)) for a in audit],
    }


def test_bulk_history_leaves_what_the_services_leave(care: Care) -> None:
    # Given two visits of one order, on two days, for the same caregiver.
    first, second = care.order("JW03", days=2).visits.order_by("date")
    wang, tasks = care.caregivers["wang"], list(first.item.checklist)[:1]
    # When the first is dispatched, checked in from afar and checked out, call by call...
    with clock_at(_at(first, -60)):
        first = services.visit_assign(actor=care.manager, visit=first, caregivers=[wang])
    with clock_at(_at(first, 5)):
        services.visit_check_in(
            actor=care.caregiver_user, visit=first, fix=fix(*FAR), explanation="楼里信号差"
        )
    with clock_at(_at(first, 50)):
        services.visit_check_out(
            actor=care.caregiver_user, visit=first, fix=fix(), tasks_done=tasks
        )
    # ...and the second's same steps are written in bulk.
    platform = SystemActor(Scope(division_prefix=""), username="seed")
    past = services.VisitPast(
        visit=Visit.objects.select_related("elder", "item").get(pk=second.pk),
        assigned=(_at(second, -60), [wang]),
        check_in=fix(*FAR, at=_at(second, 5)),
        check_out=fix(at=_at(second, 50)),
        done=(tasks, "", "done"),
        explanation="楼里信号差",
    )
    services.visits_past_write(actor=platform, pasts=[past], now=_at(second, 120))
    # Then both left the same rows, but for who dispatched (the manager, the platform).
    single, bulk = _left(first), _left(second)
    assert single["audit"][0][1]["caregivers"] == bulk["audit"][0][1]["caregivers"]
    assert single == bulk
    assert single["state"] == ("checked_out", "pending", False, "done")
    assert [f[0] for f in single["flags"]] == ["out_of_range"]
    assert [e[0] for e in single["events"]] == ["assigned", "check_in", "check_out"]


def test_bulk_history_marks_late_and_missed_as_the_monitor(care: Care) -> None:
    # Given two assigned visits that nobody came to.
    first, second = care.order("JW03", days=2).visits.order_by("date")
    wang = care.caregivers["wang"]
    with clock_at(_at(first, -60)):
        first = services.visit_assign(actor=care.manager, visit=first, caregivers=[wang])
    # When the monitor runs over the first at its moments, and the second is written in bulk.
    for minutes in (15, 120 + 60):
        with clock_at(_at(first, minutes)):
            services.visits_mark_late()
    platform = SystemActor(Scope(division_prefix=""), username="seed")
    past = services.VisitPast(
        visit=Visit.objects.select_related("elder", "item").get(pk=second.pk),
        assigned=(_at(second, -60), [wang]),
    )
    services.visits_past_write(actor=platform, pasts=[past], now=_at(second, 24 * 60))
    # Then both are late (noticed at the grace) and missed.
    for visit in (first, second):
        visit.refresh_from_db()
        assert (visit.status, visit.is_late) == ("missed", True)
    assert timezone.localtime(second.late_notified_at).time() == datetime.time(10, 15)
