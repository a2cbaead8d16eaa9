"""District scorecards: component scores, the weighted mean with missing components left
out, ranking, scope, the month-by-month history, the export and the city's weights."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from tests.conftest import World, login
from tests.factories import OrganisationFactory
from yiyang.core.indicators import IndicatorValue, catalogue
from yiyang.core.permissions import Role
from yiyang.organisations.choices import OrganisationKind
from yiyang.supervision.models import Complaint, Inspection
from yiyang.supervision.scorecard import (
    component_score,
    scorecard_build,
    weighted_score,
    weighting_load,
)

D = Decimal


def test_component_scores_and_the_weighted_mean() -> None:
    known = catalogue()
    share = IndicatorValue(D("62.5"), D(5), D(8))
    assert component_score(known["inspections_done_share"], share) == D("62.5")
    assert component_score(known["inspections_done_share"], IndicatorValue(None)) is None
    assert component_score(known["inspections_done_share"], None) is None
    weights = {"a": D(3), "b": D(1), "c": D(2)}
    assert weighted_score(weights, {"a": D(100), "b": D(50), "c": D(40)}) == D("71.67")
    # A component without a value is left out: the others carry the score.
    assert weighted_score(weights, {"a": D(100), "b": D(50), "c": None}) == D("87.50")
    assert weighted_score(weights, {"a": None, "b": None, "c": None}) is None


@pytest.fixture
def weights(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "weights.json"
    path.write_text(
        json.dumps(
            {
                "source": "test",
                "weights": {
                    "complaints_answered_on_time_share": 3,
                    "inspections_done_share": 1,
                    "complaints_received": 5,
                    "no_such_indicator": 1,
                },
            }
        ),
        encoding="utf-8",
    )
    settings.SUPERVISION_SCORECARD_FILE = str(path)
    return path


def _month_of_work(world: World) -> None:
    """XA: one complaint answered in time, one of two inspections done. XB: one complaint
    not answered, no inspection due."""
    now = timezone.now()
    xb = OrganisationFactory(
        name="院XB1a", kind=OrganisationKind.CARE_INSTITUTION, division=world.div["XB1a"]
    )
    xa = world.org["institution_XA1a"]
    later = now + datetime.timedelta(days=1)
    for n, (org, answered) in enumerate([(xa, now), (xb, None)]):
        Complaint.objects.create(
            number=f"TS{n}",
            channel="walk_in",
            organisation=org,
            division_code=org.division.code,
            text="x",
            received_at=now,
            acknowledge_by=later,
            answer_by=later,
            answered_at=answered,
        )
    today = timezone.localdate()
    for status in ("done", "planned"):
        Inspection.objects.create(
            organisation=xa,
            division_code=xa.division.code,
            kind="fire",
            due_on=today,
            status=status,
        )


def test_the_scorecard_ranks_the_districts_in_scope(world: World, weights: Path) -> None:
    _month_of_work(world)
    month = timezone.localdate().replace(day=1)
    card = scorecard_build(actor=world.user[Role.CITY_ADMIN], month=month)
    assert set(card.weighting.weights) == {
        "complaints_answered_on_time_share",
        "inspections_done_share",
    }
    assert card.weighting.unknown == ("complaints_received", "no_such_indicator")
    rows = [(r.rank, r.division.name, r.score) for r in card.rows]
    assert rows == [(1, "区XA", D("87.50")), (2, "县XB", D("0.00"))]
    xa = card.rows[0]
    assert xa.components["inspections_done_share"].value == 50
    assert xa.figures["inspections_done_share"].value == 50
    assert xa.levels == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert [m for m, _score in xa.history][-1] == month and len(xa.history) == 6
    assert xa.history[-1][1] == D("87.50") and xa.history[0][1] is None
    # A district officer sees their district only; streets on asking.
    district = scorecard_build(actor=world.user[Role.DISTRICT_OFFICER], month=month)
    assert [r.division.name for r in district.rows] == ["区XA"]
    streets = scorecard_build(actor=world.user[Role.DISTRICT_OFFICER], month=month, level="street")
    assert [(r.division.name, r.score) for r in streets.rows] == [
        ("街XA1", D("87.50")),
        ("街XA2", None),
    ]


def test_the_page_the_export_and_who_may_see_them(world: World, weights: Path) -> None:
    _month_of_work(world)
    city = login(Client(), world.user[Role.CITY_ADMIN])
    page = city.get("/supervision/scorecard/")
    html = page.content.decode()
    assert page.status_code == 200 and "data-city-configuration" in html
    assert html.index("区XA") < html.index("县XB") and "87.5" in html
    export = city.get("/supervision/scorecard/?format=csv")
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1].startswith("1,419102") and ",87.50," in lines[1]
    bad = city.get("/supervision/scorecard/?month=2026-13", follow=True)
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()
    for role in (Role.PROVIDER_MANAGER, Role.EVALUATOR, Role.FAMILY):
        assert login(Client(), world.user[role]).get("/supervision/scorecard/").status_code == 403


def test_weights_that_are_not_positive_numbers_fail_fast(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    for content in ('{"weights": {"inspections_done_share": -1}}', '{"weights": {}}', "[1]"):
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ImproperlyConfigured):
            weighting_load(path)
    shipped = weighting_load()
    assert sum(shipped.weights.values()) == 100 and not shipped.unknown
