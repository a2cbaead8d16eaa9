"""The optimiser's pages: the proposal beside today's plan (figures with the difference, map
data, timeline, routes), progress while a run works, accepting all, some routes or some
visits, re-planning after a dropout, scope, and bad input answered with a message (never a
500). Labels are read in English (the language cookie); ids and names otherwise."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client

from tests.agreement import service_accepts
from tests.conftest import login
from tests.factories import UserFactory
from tests.scheduling.conftest import TOMORROW, Day
from tests.visits.conftest import Care, care  # noqa: F401 - the fixture
from yiyang.core.permissions import Role
from yiyang.scheduling import selectors, services
from yiyang.scheduling.choices import PlanRunStatus
from yiyang.scheduling.models import PlanRun
from yiyang.scheduling.services import accept_refusal_text
from yiyang.services import services as catalogue
from yiyang.visits import services as dispatch
from yiyang.visits.models import Visit

pytestmark = pytest.mark.django_db


def client_of(user: Any) -> Client:
    client = login(Client(), user)
    client.cookies["django_language"] = "en"
    return client


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def map_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="plan-map-data" type="application/json">(.*?)</script>', html)
    assert found, "no map data"
    return json.loads(found.group(1))


def four_visits(day: Day) -> list[Visit]:
    return [
        day.visit("JW03", "09:00", "10:00", elder=0),
        day.visit("JW03", "09:00", "10:30", elder=1),
        day.visit("JW03", "13:00", "14:00", elder=2),
        day.visit("JW03", "15:00", "16:00", elder=3),
    ]


def done_run(setup: Care, capture: Any, **kwargs: Any) -> PlanRun:
    with capture(execute=True):
        run = services.plan_run_start(
            actor=setup.manager,
            provider=setup.provider,
            day=TOMORROW,
            time_limit=2,
            max_iterations=200,
            **kwargs,
        )
    run.refresh_from_db()
    assert run.status == PlanRunStatus.DONE, run.error
    return run


def url(run: PlanRun) -> str:
    return f"/scheduling/plan/{run.external_id}/"


def test_the_page_shows_both_plans_figures_map_and_timeline(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    visits = four_visits(day)
    run = done_run(care, django_capture_on_commit_callbacks)
    client = client_of(care.manager)
    with django_assert_max_num_queries(12):  # as many whatever the number of visits
        html = page(client, url(run))
    # the figures of both plans and their difference
    assert "Difference" in html
    for key in (
        "travel_minutes",
        "lateness_minutes",
        "unassigned",
        "continuity_kept",
        "overtime_minutes",
    ):
        assert f'data-figure="{key}"' in html
    unassigned_row = re.search(r'data-figure="unassigned">(.*?)</tr>', html, re.S)
    assert unassigned_row is not None
    cells = re.findall(r'<td data-plan="\w+"[^>]*>([^<]*)</td>', unassigned_row.group(1))
    assert cells == ["4", "0", "-4"]
    assert 'class="better">-4<' in unassigned_row.group(1)
    # the map's data: each caregiver's proposed route in order, every visit placed
    data = map_data(html)
    assert sorted(v["id"] for v in data["visits"]) == sorted(str(v.external_id) for v in visits)
    proposed = [vid for route in data["routes"] for vid in route["new"]]
    assert sorted(proposed) == sorted(str(v.external_id) for v in visits)
    assert all(route["now"] == [] for route in data["routes"])  # nothing assigned today
    colours = [route["colour"] for route in data["routes"]]
    assert len(set(colours)) == len(colours)
    wang = next(r for r in data["routes"] if r["id"] == str(care.caregivers["wang"].external_id))
    assert wang["home"] == [34.751, 113.651]
    assert 'id="plan-map"' in html and "leaflet.js" in html and "scheduling/plan.js" in html
    # the timeline: one pair of rows (today, proposed) per caregiver at work
    for c in care.caregivers.values():
        assert html.count(f'data-caregiver="{c.external_id}"') == 2
    # a checkbox per changed visit and per caregiver route with changes
    for visit in visits:
        assert f'name="visits" value="{visit.external_id}"' in html
    routes = re.findall(r'name="caregivers" value="([0-9a-f-]+)"(?! disabled)', html)
    assert sorted(routes) == sorted(r["id"] for r in data["routes"] if r["new"])
    assert "The proposal changes 4 assignments." in html
    assert 'id="replan-form"' in html


def test_a_queued_run_shows_its_progress_until_done(
    care: Care,  # noqa: F811
    day: Day,
) -> None:
    four_visits(day)
    # outside captured callbacks the task is never queued: the run stays waiting
    run = services.plan_run_start(
        actor=care.manager,
        provider=care.provider,
        day=TOMORROW,
        time_limit=1,
        max_iterations=100,
    )
    client = client_of(care.manager)
    html = page(client, url(run))
    assert 'id="plan-progress"' in html
    assert f'hx-get="/scheduling/plan/{run.external_id}/progress/"' in html
    assert 'http-equiv="refresh"' in html  # without JavaScript, the page reloads itself
    assert "plan-figures" not in html
    part = client.get(f"{url(run)}progress/")
    assert part.status_code == 200 and "HX-Refresh" not in part
    assert 'data-status="queued"' in part.content.decode()
    PlanRun.objects.filter(pk=run.pk).update(status=PlanRunStatus.RUNNING, progress=40)
    part = client.get(f"{url(run)}progress/")
    assert "40%" in part.content.decode()
    services.plan_run_execute(run.pk)
    done = client.get(f"{url(run)}progress/")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    assert 'id="plan-figures"' in page(client, url(run))


def test_accepting_all_on_the_page_assigns_the_visits_and_says_so(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visits = four_visits(day)
    run = done_run(care, django_capture_on_commit_callbacks)
    client = client_of(care.manager)
    answer = client.post(url(run), {"action": "all"}, follow=True)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "4 visit(s) assigned as proposed." in html
    assert 'id="plan-accepted"' in html and "The dispatch rules refused none of them." in html
    rows = {row["id"]: row for row in run.proposal["visits"]}
    for visit in visits:
        visit.refresh_from_db()
        assert visit.status == "assigned"
        assert [str(visit.caregiver.external_id)] == rows[str(visit.external_id)]["proposed"][
            "caregivers"
        ]
    run.refresh_from_db()
    assert run.accepted_by == care.manager
    assert sorted(run.accept_result["assigned"]) == sorted(str(v.external_id) for v in visits)
    # accepted once: the form is gone, and posting again is refused with a message
    assert 'name="visits"' not in html and 'id="accept-all"' not in html
    again = client.post(url(run), {"action": "all"}, follow=True)
    assert again.status_code == 200
    assert "This proposal was accepted already" in again.content.decode()


def test_accepting_one_route_assigns_only_its_visits(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visits = four_visits(day)
    run = done_run(care, django_capture_on_commit_callbacks)
    rows = {row["id"]: row for row in run.proposal["visits"]}
    chosen = rows[str(visits[0].external_id)]["proposed"]["caregivers"][0]
    mine = {vid for vid, row in rows.items() if chosen in row["proposed"]["caregivers"]}
    client = client_of(care.manager)
    answer = client.post(url(run), {"action": "some", "caregivers": [chosen]})
    assert answer.status_code == 302
    for visit in visits:
        visit.refresh_from_db()
        if str(visit.external_id) in mine:
            assert str(visit.caregiver.external_id) == chosen
        else:
            assert visit.caregiver is None and visit.status == "scheduled"
    run.refresh_from_db()
    assert sorted(run.accept_result["assigned"]) == sorted(mine)


def test_accepting_some_visits_and_a_refusal_is_shown_with_its_reason(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visits = four_visits(day)
    run = done_run(care, django_capture_on_commit_callbacks)
    rows = {row["id"]: row for row in run.proposal["visits"]}
    first, last = str(visits[0].external_id), str(visits[3].external_id)
    # between the plan and the acceptance, the caregiver proposed for the first visit stops
    # working that day: the dispatch rules refuse that visit, the other is assigned
    gone = next(
        c
        for c in care.caregivers.values()
        if str(c.external_id) == rows[first]["proposed"]["caregivers"][0]
    )
    catalogue.caregiver_save(
        actor=care.manager,
        provider=care.provider,
        caregiver=gone,
        work_days=[(TOMORROW.weekday() + 1) % 7],
    )
    if gone.external_id == uuid.UUID(rows[last]["proposed"]["caregivers"][0]):
        last = next(
            vid
            for vid, row in rows.items()
            if row["proposed"]["caregivers"][0] != str(gone.external_id)
        )
    client = client_of(care.manager)
    answer = client.post(url(run), {"action": "some", "visits": [first, last]}, follow=True)
    html = answer.content.decode()
    run.refresh_from_db()
    assert first in run.accept_result["refused"]
    assert last in run.accept_result["assigned"]
    assert "Refused by the dispatch rules:" in html
    refused = re.search(rf'<li data-visit="{first}"><strong>(.*?)</li>', html, re.S)
    assert refused is not None and "刘桂兰" in refused.group(1)
    assert accept_refusal_text(run.accept_result["refused"][first][0]) in refused.group(1)
    untouched = set(rows) - {first, last}
    assert not Visit.objects.filter(external_id__in=untouched, caregiver__isnull=False).exists()


def test_bad_acceptances_get_a_message_never_a_500(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visits = four_visits(day)
    client = client_of(care.manager)
    # not finished yet
    waiting = services.plan_run_start(
        actor=care.manager, provider=care.provider, day=TOMORROW, time_limit=1
    )
    answer = client.post(url(waiting), {"action": "all"}, follow=True)
    assert answer.status_code == 200 and "The plan is not ready yet." in answer.content.decode()
    run = done_run(care, django_capture_on_commit_callbacks)
    for posted, message in (
        ({"action": "some"}, "Choose the visits or routes to accept."),
        ({"action": "some", "visits": ["not-a-visit"]}, "Not in this plan: not-a-visit."),
        ({"action": "some", "visits": [str(uuid.uuid4())]}, "Not in this plan"),
        ({"action": "some", "caregivers": [str(uuid.uuid4())]}, "Not in this plan"),
        ({"visits": [str(visits[0].external_id), "x" * 300]}, "Not in this plan"),
    ):
        answer = client.post(url(run), posted, follow=True)
        assert answer.status_code == 200, posted
        assert message in answer.content.decode(), posted
    run.refresh_from_db()
    assert run.accepted_at is None and Visit.objects.filter(caregiver__isnull=False).count() == 0
    # the API answers the same mistakes with 400 (its messages are Chinese first)
    api = "/api/v1/plan-runs/{}/accept/"
    for run_id, body in (
        (waiting.external_id, {}),
        (run.external_id, {"visits": []}),
        (run.external_id, {"visits": ["nope"]}),
        (run.external_id, {"visits": "some"}),
    ):
        answer = client.post(api.format(run_id), body, content_type="application/json")
        assert answer.status_code == 400, (body, answer.content)
    assert client.post(api.format(run.external_id), {}, content_type="application/json").json()[
        "assigned"
    ]
    answer = client.post(api.format(run.external_id), {}, content_type="application/json")
    assert answer.status_code == 400 and "run" in answer.json()
    # a failed run shows its error
    PlanRun.objects.filter(pk=waiting.pk).update(status=PlanRunStatus.FAILED, error="Boom: x")
    html = page(client, url(waiting))
    assert 'id="plan-failed"' in html and "Boom: x" in html
    assert client.post(url(waiting), {"action": "all"}).status_code == 302
    assert client.get(f"/scheduling/plan/{uuid.uuid4()}/").status_code == 404
    assert client.get("/scheduling/plan/not-a-uuid/").status_code == 404


def test_bad_starts_go_back_with_a_message(care: Care, day: Day) -> None:  # noqa: F811
    client = client_of(care.manager)
    for posted in (
        {"date": "2026-02-30"},
        {"date": "yesterday"},
        {},
        {"date": TOMORROW.isoformat(), "time_limit": "forever"},
        {"date": TOMORROW.isoformat(), "time_limit": "-3"},
        {"date": TOMORROW.isoformat(), "caregiver": "nobody"},
        {"date": TOMORROW.isoformat(), "caregiver": ""},
        {"date": TOMORROW.isoformat(), "caregiver": str(uuid.uuid4()), "back": "day"},
    ):
        answer = client.post("/scheduling/plan/", posted)
        assert answer.status_code == 302, posted
        assert answer.url.startswith(("/visits/board/", "/scheduling/day/")), answer.url
    answer = client.post("/scheduling/plan/", {"date": "2026-02-30"}, follow=True)
    assert "Give a date." in answer.content.decode()
    assert PlanRun.objects.count() == 0
    assert page(client, "/scheduling/day/?date=2026-02-30")  # today's instead, no 500


def test_another_providers_manager_and_a_caregiver_get_nothing(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    four_visits(day)
    run = done_run(care, django_capture_on_commit_callbacks)
    other = UserFactory(
        username="manager_ya", role=Role.PROVIDER_MANAGER, organisation=care.world.org["home_YA"]
    )
    stranger = client_of(other)
    assert stranger.get(url(run)).status_code == 404
    assert stranger.get(f"{url(run)}progress/").status_code == 404
    assert stranger.post(url(run), {"action": "all"}).status_code == 404
    assert stranger.get(f"/api/v1/plan-runs/{run.external_id}/").status_code == 404
    # nor may they re-plan the first provider's day with its caregiver
    answer = stranger.post(
        "/scheduling/plan/",
        {"date": TOMORROW.isoformat(), "caregiver": str(care.caregivers["wang"].external_id)},
    )
    assert answer.status_code == 302 and PlanRun.objects.count() == 1
    caregiver = client_of(care.caregiver_user)
    assert caregiver.get(url(run)).status_code in (403, 404)
    assert caregiver.post(url(run), {"action": "all"}).status_code in (403, 404)
    assert caregiver.get("/scheduling/day/").status_code in (403, 404)
    run.refresh_from_db()
    assert run.accepted_at is None


def test_replanning_after_a_dropout_from_its_page(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    settings.SCHEDULING_REPLAN_TIME_LIMIT = 2
    settings.SCHEDULING_MAX_ITERATIONS = 200
    cg = care.caregivers
    visits = four_visits(day)
    for visit, name in zip(visits, ("wang", "li", "zhao", "zhao"), strict=True):
        dispatch.visit_assign(actor=care.manager, visit=visit, caregivers=[cg[name]])
    client = client_of(care.manager)
    html = page(client, f"/scheduling/day/?date={TOMORROW.isoformat()}")
    options = re.findall(r'<option value="([0-9a-f-]+)">([^<]*)</option>', html)
    names = [name.split(" · ")[0].split(" (")[0] for _id, name in options]
    assert names == ["赵护理", "李护理", "王护理"]  # each with what tells namesakes apart
    assert all(" (no. " in name or "phone ending" in name for _id, name in options)
    assert "2 visits to do" in options[0][1]
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/scheduling/plan/",
            {"date": TOMORROW.isoformat(), "caregiver": str(cg["zhao"].external_id), "back": "day"},
        )
    run = PlanRun.objects.get()
    assert answer.status_code == 302 and answer.url == url(run)
    assert run.kind == "replan" and run.status == PlanRunStatus.DONE, run.error
    assert run.time_limit == 2 and run.max_iterations == 200
    html = page(client, url(run))
    assert "Re-planned without 赵护理" in html
    assert (
        "2 of the visits of the caregiver who dropped out go to others, 0 cannot be taken by "
        "anyone, and 0 of the other caregivers' own visits change." in html
    )
    data = map_data(html)
    zhao = next(r for r in data["routes"] if r["id"] == str(cg["zhao"].external_id))
    assert zhao["new"] == [] and len(zhao["now"]) == 2
    # the day's page lists the run; the board links to it
    with django_assert_max_num_queries(10):
        listed = page(client, f"/scheduling/day/?date={TOMORROW.isoformat()}")
    assert f'data-run="{run.external_id}"' in listed and "(赵护理)" in listed
    board = page(client, f"/visits/board/?date={TOMORROW.isoformat()}")
    assert f"/scheduling/day/?date={TOMORROW.isoformat()}" in board


def test_a_route_holds_the_visits_proposed_to_it_and_those_it_loses_to_nobody() -> None:
    def row(vid: str, now: list[str], new: list[str] | None, changed: bool = True) -> Any:
        return {
            "id": vid,
            "changed": changed,
            "current": {"caregivers": now},
            "proposed": {"caregivers": new} if new is not None else None,
        }

    run = PlanRun(
        proposal={
            "visits": [
                row("v1", [], ["a"]),  # unassigned, proposed to a
                row("v2", ["b"], ["a"]),  # moves from b to a
                row("v3", ["a"], None),  # a loses it, nobody takes it
                row("v4", ["a"], ["a"], changed=False),  # stays
                row("v5", ["a", "b"], ["b", "c"]),  # a double-up changing partner
            ]
        }
    )
    assert selectors.route_visit_ids(run=run, caregiver_ids=["a"]) == ["v1", "v2", "v3"]
    assert selectors.route_visit_ids(run=run, caregiver_ids=["b"]) == ["v5"]
    assert selectors.route_visit_ids(run=run, caregiver_ids=["c", "b"]) == ["v5"]
    assert selectors.route_visit_ids(run=run, caregiver_ids=[]) == []


def test_the_plan_pages_controls_agree_with_the_services(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A done, an accepted, a queued and a past day's run; the provider's manager, another
    provider's manager and a city administrator: the accept buttons show exactly when
    ``plan_accept`` takes the proposal, and ``plan_actions`` says so for re-planning too."""
    import datetime

    from yiyang.scheduling.lifecycle import PlanAction, plan_actions

    four_visits(day)
    done = done_run(care, django_capture_on_commit_callbacks)
    accepted = done_run(care, django_capture_on_commit_callbacks, seed=1)
    services.plan_accept(actor=care.manager, run=accepted)
    queued = services.plan_run_start(actor=care.manager, provider=care.provider, day=TOMORROW)
    past = done_run(care, django_capture_on_commit_callbacks, seed=2)
    PlanRun.objects.filter(pk=past.pk).update(day=TOMORROW - datetime.timedelta(days=3))
    other = UserFactory(
        username="other_manager",
        role=Role.PROVIDER_MANAGER,
        organisation=care.world.org["home_YA"],
    )
    users = {"manager": care.manager, "other": other, "admin": care.world.user["city_admin"]}
    seen = set()
    for name, user in users.items():
        client = login(Client(), user)
        for state, run in {
            "done": done,
            "accepted": accepted,
            "queued": queued,
            "past": past,
        }.items():
            run.refresh_from_db()
            response = client.get(url(run))
            shown = response.status_code == 200 and 'id="accept-all"' in response.content.decode()
            takes = service_accepts(
                lambda run=run, user=user: services.plan_accept(actor=user, run=run)
            )
            assert shown == takes, (name, state, shown, takes)
            listed = plan_actions(actor=user, run=run)
            assert (PlanAction.ACCEPT in listed) == takes, (name, state)
            replans = service_accepts(
                lambda run=run, user=user: services.plan_run_start(
                    actor=user, provider=run.provider, day=run.day
                )
            )
            assert (PlanAction.REPLAN in listed) == replans, (name, state)
            seen |= {(state, shown)}
    assert ("done", True) in seen and ("accepted", False) in seen and ("past", False) in seen
