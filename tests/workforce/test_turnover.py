"""The turnover formula on a hand-made year (rules.py documents it)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tests.visits.conftest import Care
from yiyang.workforce.models import Employment
from yiyang.workforce.rules import Span, turnover
from yiyang.workforce.selectors import roster_turnover

D = datetime.date
YEAR = [
    Span(D(2020, 1, 1), None),  # 12 month-ends
    Span(D(2020, 1, 1), D(2025, 6, 15), "pay"),  # Jan-May: 5
    Span(D(2025, 4, 10), D(2025, 10, 31), "family"),  # Apr-Oct (last day counts): 7
    Span(D(2019, 5, 1), D(2025, 3, 1), "transfer"),  # Jan-Feb: 2, a move, not a leaver
    Span(D(2025, 12, 1), None),  # Dec: 1
    Span(D(2024, 1, 1), D(2024, 12, 31), "health"),  # before the window: nothing
]


def test_turnover_of_a_hand_made_year() -> None:
    sector = turnover(YEAR, start=D(2025, 1, 1))
    provider = turnover(YEAR, start=D(2025, 1, 1), count_transfers=True)

    assert sector.average_headcount == Decimal("2.25")  # 27 / 12
    assert (sector.leavers, sector.rate) == (2, Decimal("88.89"))
    assert sector.reasons == {"pay": 1, "family": 1}
    assert (provider.leavers, provider.rate) == (3, Decimal("133.33"))


def test_no_one_employed_gives_no_rate() -> None:
    assert turnover([], start=D(2025, 1, 1)).rate is None


@pytest.mark.django_db
def test_roster_turnover_reads_the_employments(roster: Care) -> None:
    employments = list(Employment.objects.filter(provider=roster.provider).order_by("id"))
    for employment, span in zip(employments, YEAR[1:4], strict=True):
        Employment.objects.filter(pk=employment.pk).update(
            hired_on=span.hired_on, left_on=span.left_on, leave_reason=span.leave_reason
        )

    figures = roster_turnover(actor=roster.manager, start=D(2025, 1, 1))

    assert (figures.leavers, figures.average_headcount) == (2, Decimal("1.17"))  # 14 / 12
