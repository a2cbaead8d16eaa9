"""Pages and the API: the workflow through the web, the evaluator's scope, the public
page (no login, only public fields, cached, 404 for anything not public)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.conftest import World, login, token_for
from tests.factories import OrganisationFactory, UserFactory
from tests.supervision.conftest import FULL, published, scored
from yiyang.core.permissions import Role
from yiyang.facilities.models import Facility
from yiyang.organisations.choices import OrganisationKind
from yiyang.supervision import selectors, services
from yiyang.supervision.models import Complaint, EvaluationTemplate, Rating, ServiceEvaluation


@pytest.fixture(autouse=True)
def clear_cache() -> None:
    cache.clear()


def facility_for(organisation: Any, kind: str = "public_institution", **extra: Any) -> Facility:
    return Facility.objects.create(
        organisation=organisation, kind=kind, division_code=organisation.division.code, **extra
    )


# --- the evaluator's scope ---------------------------------------------------------------------


def test_an_evaluator_sees_only_the_ratings_assigned_to_them(sup: World) -> None:
    mine = scored(sup)
    other_org = OrganisationFactory(
        name="院2", kind=OrganisationKind.CARE_INSTITUTION, division=sup.div["XA1b"]
    )
    Rating.objects.create(
        organisation=other_org,
        division_code=other_org.division.code,
        scheme=mine.scheme,
        status="submitted",
    )
    evaluator = sup.user[Role.EVALUATOR]
    assert list(selectors.rating_queryset(actor=evaluator)) == [mine]
    client = login(Client(), evaluator)
    other = Rating.objects.exclude(pk=mine.pk).get()
    assert client.get(f"/supervision/ratings/{other.external_id}/").status_code == 404
    assert client.get(f"/supervision/ratings/{mine.external_id}/score/").status_code == 200
    assert client.get("/supervision/complaints/").status_code == 403
    assert client.get("/supervision/inspections/").status_code == 403


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.CITY_ADMIN, True),
        (Role.DISTRICT_OFFICER, True),
        (Role.STREET_OFFICER, True),
        (Role.PROVIDER_MANAGER, False),
        (Role.AUDITOR, True),
        (Role.EVALUATOR, True),
        ("manager_inst", True),
        ("admin_Y", False),
    ],
)
def test_the_scope_of_ratings(sup: World, role: str, sees: bool) -> None:
    rating = scored(sup)
    assert (rating in selectors.rating_queryset(actor=sup.user[role])) is sees


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OPERATOR, 200),
        (Role.STREET_OFFICER, 200),
        (Role.PROVIDER_MANAGER, 404),
        ("manager_inst", 200),
        (Role.EVALUATOR, 403),
        (Role.FAMILY, 403),
        ("admin_Y", 404),
    ],
)
def test_the_scope_of_complaints(sup: World, role: str, status: int) -> None:
    client = login(Client(), sup.user[role])
    response = (
        client.post(
            "/api/v1/supervision/complaints/",
            {
                "channel": "call_centre",
                "organisation": str(sup.org["institution_XA1a"].external_id),
                "text": "电话投诉",
            },
            content_type="application/json",
        )
        if role == Role.OPERATOR
        else None
    )
    complaint = Complaint.objects.first() or _register(sup)
    assert response is None or response.status_code == 201
    assert client.get(f"/supervision/complaints/{complaint.external_id}/").status_code == status


def _register(sup: World) -> Complaint:
    return services.complaint_register(
        actor=sup.user[Role.OPERATOR],
        channel="walk_in",
        text="x",
        organisation=sup.org["institution_XA1a"],
    )


# --- the workflow through pages and API ---------------------------------------------------------


def test_the_rating_workflow_through_the_api(sup: World) -> None:
    rating = scored(sup, {"E1": 1})
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(sup.user[Role.EVALUATOR])}")
    url = f"/api/v1/supervision/ratings/{rating.external_id}/"
    scores = {code: {"points": points, "note": "现场"} for code, points in FULL.items()}
    bad = api.post(
        url + "scores/", {"scores": {"E1": {"points": 99}}}, content_type="application/json"
    )
    assert bad.status_code == 400 and "scores.E1" in bad.json()
    ok = api.post(url + "scores/", {"scores": scores}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["level"] == 5
    assert api.post(url + "finish/").json()["status"] == "scored"
    officer = Client(HTTP_AUTHORIZATION=f"Token {token_for(sup.user[Role.DISTRICT_OFFICER])}")
    assert officer.post(url + "publish/").status_code == 403
    assert (
        officer.post(url + "review/", {"approve": True}, content_type="application/json").json()[
            "status"
        ]
        == "district_reviewed"
    )
    admin = Client(HTTP_AUTHORIZATION=f"Token {token_for(sup.user[Role.CITY_ADMIN])}")
    assert admin.post(url + "publish/").json()["level"] == 5


def test_the_scoring_page_saves_and_shows_the_computed_total(sup: World) -> None:
    rating = scored(sup, {"E1": 1})
    client = login(Client(), sup.user[Role.EVALUATOR])
    url = f"/supervision/ratings/{rating.external_id}/score/"
    response = client.post(url, {"points_E1": "25", "note_E1": "良好"}, follow=True)
    assert "已保存" in response.content.decode() or response.status_code == 200
    assert rating.scores.get(item__code="E1").points == 25
    assert re.search(r"<strong>25\.00</strong>", response.content.decode())


def test_staff_pages_open(sup: World) -> None:
    rating = published(sup)
    for role in (Role.CITY_ADMIN, Role.DISTRICT_OFFICER, "manager_inst", Role.AUDITOR):
        client = login(Client(), sup.user[role])
        assert client.get("/supervision/ratings/").status_code == 200, role
        assert client.get(f"/supervision/ratings/{rating.external_id}/").status_code == 200
        assert client.get("/supervision/inspections/").status_code == 200, role
        assert client.get("/supervision/complaints/").status_code == 200, role
        assert client.get("/supervision/evaluations/").status_code == 200, role
        assert client.get("/supervision/schemes/").status_code == 200, role


# --- the public page ---------------------------------------------------------------------------


class Fields(HTMLParser):
    """Every text the public entries render, by the field that produced it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.values: list[tuple[str, str]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(dict(attrs).get("data-field"))

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        field = next((f for f in reversed(self.stack) if f), None)
        if data.strip():
            (self.values.append((field, data.strip())) if field else self.texts.append(data))


@pytest.fixture
def public_world(sup: World) -> World:
    institution = sup.org["institution_XA1a"]
    institution.phone, institution.address = "0371-1234567", "测试路1号"
    institution.licence_number = "SECRET-LICENCE-42"
    institution.save()
    facility_for(institution, beds=100, opening_hours="全天")
    published(sup)
    hidden = OrganisationFactory(
        name="未开业院", kind=OrganisationKind.CARE_INSTITUTION, division=sup.div["XA1b"]
    )
    facility_for(hidden, status="planned")
    sup.org["hidden"] = hidden
    return sup


def test_the_public_page_shows_only_public_fields(public_world: World) -> None:
    response = Client().get("/public/")
    assert response.status_code == 200
    html = response.content.decode()
    parser = Fields()
    parser.feed(html)
    allowed = set(selectors.PUBLIC_FIELDS)
    assert parser.values, "nothing rendered"
    assert {field for field, _value in parser.values} <= allowed
    rendered = dict(parser.values)
    assert rendered["name"] == "院XA1a" and rendered["level"] == "5"
    assert rendered["beds"] == "100" and rendered["vacancies"] == "20"
    # Every rendered value is the public row's value, and nothing private leaks.
    row = selectors.public_facilities()[0]
    for field, value in parser.values:
        expected = row[field]
        if field == "kind":
            assert value == "公办养老机构"
        elif isinstance(expected, list):
            assert value in expected
        elif hasattr(expected, "isoformat"):
            assert value == expected.isoformat()
        else:
            assert value == str(expected), field
    pk = public_world.org["institution_XA1a"].pk
    # Internal ids would appear in a link or an attribute, never as any digit of the page.
    for secret in ("SECRET-LICENCE-42", "未开业院", f"/{pk}/", f'="{pk}"', f"={pk}&"):
        assert secret not in html
    assert "12345" in html and "投诉" in html


def test_the_public_page_needs_no_login_and_searches(public_world: World) -> None:
    client = Client()
    assert (
        "院XA1a" in client.get("/public/?district=419102&kind=public_institution").content.decode()
    )
    assert "院XA1a" not in client.get("/public/?district=419121").content.decode()
    assert "院XA1a" not in client.get("/public/?q=nomatch").content.decode()
    english = client.get("/public/?lang=en").content.decode()
    assert "Care institutions and community facilities" in english


def test_unpublished_institutions_and_private_fields_are_404(public_world: World) -> None:
    client = Client()
    hidden = public_world.org["hidden"].facility
    assert client.get(f"/public/{hidden.external_id}/").status_code == 404
    shown = public_world.org["institution_XA1a"].facility
    assert client.get(f"/public/{shown.external_id}/").status_code == 200
    assert client.get("/public/facilities.json?fields=name,licence_number").status_code == 404
    data = client.get("/public/facilities.json?fields=name,level").json()
    assert data == {"results": [{"name": "院XA1a", "level": 5}]}


def test_the_public_page_is_cached(public_world: World, django_assert_num_queries: Any) -> None:
    client = Client()
    client.get("/public/?district=419102")
    with django_assert_num_queries(0):
        assert client.get("/public/?district=419102").status_code == 200


def test_the_public_page_is_rate_limited(public_world: World, settings: Any) -> None:
    settings.SUPERVISION_PUBLIC_RATE_PER_MINUTE = 3
    client = Client()
    codes = [client.get("/public/").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_a_facility_without_a_published_level_shows_not_rated(sup: World) -> None:
    station = sup.org["station_XA1a"]
    facility_for(station, kind="community_station")
    html = Client().get("/public/").content.decode()
    assert "站_XA1a" in html and "未评级" in html
    assert json.loads(Client().get("/public/facilities.json?fields=level").content) == {
        "results": [{"level": None}]
    }


def test_an_expired_answer_is_served_while_one_request_rebuilds_it(
    public_world: World, settings: Any, monkeypatch: Any, django_assert_num_queries: Any
) -> None:
    settings.SUPERVISION_PUBLIC_CACHE_SECONDS = 0  # every answer is stale at once
    client = Client()
    client.get("/public/?kind=public_institution")
    from yiyang.supervision.web import public

    monkeypatch.setattr(public.cache, "add", lambda *args, **kwargs: False)  # lock taken
    with django_assert_num_queries(0):
        assert "院XA1a" in client.get("/public/?kind=public_institution").content.decode()


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def _evaluation(sup: World, organisation: Any) -> None:
    ServiceEvaluation.objects.create(
        provider=organisation,
        division_code=organisation.division.code,
        year=2026,
        template=EvaluationTemplate.objects.get(),
        max_total=100,
        evaluator=sup.user[Role.EVALUATOR],
    )


@pytest.mark.parametrize(
    "url",
    [
        "/supervision/ratings/",
        "/api/v1/supervision/ratings/",
        "/supervision/complaints/",
        "/api/v1/supervision/complaints/",
        "/supervision/inspections/",
        "/api/v1/supervision/inspections/",
        "/supervision/evaluations/",
        "/api/v1/supervision/evaluations/",
    ],
)
def test_list_queries_do_not_grow_with_rows(sup: World, url: str) -> None:
    client = login(Client(), sup.user[Role.CITY_ADMIN])
    _queries(client, url)
    _register(sup)
    published(sup)
    services.inspection_plan_generate(
        actor=sup.user[Role.CITY_ADMIN], district=sup.div["XA"], year=2026, per_kind=1
    )
    _evaluation(sup, sup.org["institution_XA1a"])
    few = _queries(client, url)
    for n in range(5):
        _register(sup)
        organisation = OrganisationFactory(
            name=f"院{n}", kind=OrganisationKind.CARE_INSTITUTION, division=sup.div["XA1b"]
        )
        services.rating_apply(
            actor=UserFactory(role=Role.PROVIDER_MANAGER, organisation=organisation),
            organisation=organisation,
            applied_level=3,
        )
        _evaluation(sup, organisation)
    services.inspection_plan_generate(
        actor=sup.user[Role.CITY_ADMIN], district=sup.div["XA"], year=2026, per_kind=3
    )
    assert _queries(client, url) == few
    assert few <= 14


def test_the_evaluators_home_lists_the_assigned_evaluation(sup: World) -> None:
    rating = scored(sup)
    html = login(Client(), sup.user[Role.EVALUATOR]).get("/").content.decode()
    assert f"/supervision/ratings/{rating.external_id}/score/" in html
    assert "分配给您的评定" in html
