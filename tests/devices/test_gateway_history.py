"""The gateway's error history: one outage is one row with when it arose and cleared, however
the gateway's beats fall around it (a beat blocked by the outage itself, lanes that clear the
error while a beat is in flight)."""

from __future__ import annotations

import datetime

import pytest

from yiyang.devices.models import GatewayBeat, GatewayError
from yiyang.devices.services import gateway_beat

pytestmark = pytest.mark.django_db

T = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=datetime.UTC)
NAME = "mqtt:gw-1:host"
LOCKED = "database: database is locked"


def at(seconds: float) -> datetime.datetime:
    return T + datetime.timedelta(seconds=seconds)


def beat(now: float, **kwargs: object) -> None:
    gateway_beat(name=NAME, started_at=T, connected=True, now=at(now), **kwargs)  # type: ignore[arg-type]


def history() -> list[tuple[str, datetime.datetime, datetime.datetime | None]]:
    return list(
        GatewayError.objects.order_by("started_at").values_list("error", "started_at", "cleared_at")
    )


def test_an_outage_no_beat_could_record_is_written_once_it_has_cleared() -> None:
    beat(0)
    beat(40, episodes=[(LOCKED, at(5), at(35))])
    assert history() == [(LOCKED, at(5), at(35))]
    assert GatewayBeat.objects.get(name=NAME).last_error == ""


def test_a_standing_error_keeps_its_true_start_and_closes_when_it_goes() -> None:
    beat(10, last_error=LOCKED, last_error_since=at(5))
    beat(20, last_error=LOCKED, last_error_since=at(5))
    assert history() == [(LOCKED, at(5), None)]
    beat(30)
    assert history() == [(LOCKED, at(5), at(30))]


def test_an_error_cleared_while_a_beat_recorded_it_standing_is_still_one_row() -> None:
    # The beat saw the error standing; before it returned, a lane stored its batch and the
    # error went (at 26): the next beat carries it as an episode and the open row closes.
    beat(25, last_error=LOCKED, last_error_since=at(5))
    beat(30, episodes=[(LOCKED, at(5), at(26))])
    assert history() == [(LOCKED, at(5), at(26))]


def test_two_outages_are_two_rows() -> None:
    beat(0, episodes=[(LOCKED, at(-50), at(-40)), (LOCKED, at(-20), at(-10))])
    beat(10, last_error=LOCKED, last_error_since=at(8))
    beat(20, episodes=[(LOCKED, at(8), at(12))])
    assert history() == [
        (LOCKED, at(-50), at(-40)),
        (LOCKED, at(-20), at(-10)),
        (LOCKED, at(8), at(12)),
    ]
