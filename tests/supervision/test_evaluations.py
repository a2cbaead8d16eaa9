"""Third-party evaluation of purchased services: the year's tasks with a reproducible
sample of the platform's records, assignment, scoring refused whole on bad points, the
year-to-year comparison, the indicator and the pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.visits.conftest import Care, care  # noqa: F401 - the fixture
from tests.visits.test_visit_checks import delivered_visit
from yiyang.core.indicators import Period, catalogue
from yiyang.core.permissions import Role
from yiyang.supervision import selectors, services
from yiyang.supervision.models import ServiceEvaluation
from yiyang.visits.models import Visit

FULL = {
    "records": {"points": 36},
    "calls": {"points": 38, "note": "10 位老年人均满意"},
    "documents": {"points": 20},
}


def _task(care: Care) -> ServiceEvaluation:  # noqa: F811
    year = timezone.localdate().year
    assert delivered_visit(care).delivered
    made = services.evaluation_tasks_generate(actor=care.world.user[Role.CITY_ADMIN], year=year)
    assert [e.provider for e in made] == [care.provider]
    return made[0]


def test_tasks_sample_the_platforms_records_once_a_year(care: Care) -> None:  # noqa: F811
    evaluation = _task(care)
    assert set(evaluation.sample) == {"records", "calls"}
    visit = Visit.objects.get()
    # Fewer delivered visits than the sample asks for: all of them, in both sections.
    assert evaluation.sample == {
        "records": [str(visit.external_id)],
        "calls": [str(visit.external_id)],
    }
    assert evaluation.max_total == 100 and evaluation.status == "open"
    again = services.evaluation_tasks_generate(
        actor=care.world.user[Role.CITY_ADMIN], year=evaluation.year
    )
    assert again == []  # one task a provider a year
    with pytest.raises(ValidationError):
        services.evaluation_tasks_generate(actor=care.world.user[Role.CITY_ADMIN], year=1999)
    with pytest.raises(PermissionDenied):
        services.evaluation_tasks_generate(actor=care.world.user[Role.EVALUATOR], year=2026)


def test_the_assigned_evaluator_scores_every_section(care: Care) -> None:  # noqa: F811
    evaluation = _task(care)
    evaluator = care.world.user[Role.EVALUATOR]
    with pytest.raises(PermissionDenied):
        services.evaluation_score(actor=evaluator, evaluation=evaluation, scores=FULL)
    services.evaluation_assign(
        actor=care.world.user[Role.DISTRICT_OFFICER], evaluation=evaluation, evaluator=evaluator
    )
    bad = FULL | {"records": {"points": 41}, "extra": {"points": 1}}
    bad.pop("documents")
    with pytest.raises(ValidationError) as error:
        services.evaluation_score(actor=evaluator, evaluation=evaluation, scores=bad)
    assert set(error.value.message_dict) == {"scores.records", "scores.documents", "scores.extra"}
    evaluation.refresh_from_db()
    assert evaluation.total is None and evaluation.status == "open"
    services.evaluation_score(actor=evaluator, evaluation=evaluation, scores=FULL)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.total) == ("scored", Decimal(94))
    assert evaluation.notes["calls"] == "10 位老年人均满意"
    with pytest.raises(ValidationError, match="already"):
        services.evaluation_score(actor=evaluator, evaluation=evaluation, scores=FULL)
    # Compared with the year before; the indicator reads the points against the maximum.
    ServiceEvaluation.objects.create(
        provider=evaluation.provider,
        division_code=evaluation.division_code,
        year=evaluation.year - 1,
        template=evaluation.template,
        status="scored",
        total=Decimal(80),
        max_total=Decimal(100),
    )
    history = selectors.evaluation_history(actor=care.manager, evaluation=evaluation)
    assert [(row.year, change) for row, change in history] == [
        (evaluation.year, Decimal(14)),
        (evaluation.year - 1, None),
    ]
    x = care.world.div["X"]
    value = catalogue()["service_evaluation_score"].compute(Period.of(timezone.localdate()), [x])
    assert value[x.pk].value == Decimal(94)


def test_the_pages(care: Care) -> None:  # noqa: F811
    evaluation = _task(care)
    officer = login(Client(), care.world.user[Role.DISTRICT_OFFICER])
    url = f"/supervision/evaluations/{evaluation.external_id}/"
    page = officer.get(url).content.decode()
    assert "data-city-configuration" in page and 'name="evaluator"' in page
    evaluator = care.world.user[Role.EVALUATOR]
    officer.post(url, {"step": "assign", "evaluator": str(evaluator.external_id)})
    tablet = login(Client(), evaluator)
    assert evaluation.provider.name in tablet.get("/supervision/evaluations/").content.decode()
    form = {f"points_{code}": str(entry["points"]) for code, entry in FULL.items()}
    tablet.post(url, form | {"points_records": "99"})  # refused, a message, nothing saved
    evaluation.refresh_from_db()
    assert evaluation.status == "open"
    tablet.post(url, form)
    evaluation.refresh_from_db()
    assert evaluation.total == Decimal(94)
    assert "94" in tablet.get(url).content.decode()
    assert login(Client(), care.world.user["admin_Y"]).get(url).status_code == 404
