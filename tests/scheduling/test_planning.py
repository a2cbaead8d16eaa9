"""The optimiser in the platform: a provider's day as a problem, a run and its proposal,
accepting through the dispatch service, and re-planning after a caregiver drops out."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.scheduling.conftest import TOMORROW, Day
from tests.visits.conftest import ALL_DAY, Care, care  # noqa: F401 - the fixture
from yiyang.scheduling import planning, services, wording
from yiyang.scheduling.choices import PlanRunStatus
from yiyang.scheduling.models import PlanRun
from yiyang.scheduling.solver import evaluate
from yiyang.services import services as catalogue
from yiyang.visits import services as dispatch
from yiyang.visits.models import Visit

pytestmark = pytest.mark.django_db


def _solve(setup: Care, **kwargs: Any) -> tuple[planning.DayProblem, planning.DaySolution]:
    dp = planning.build_day(provider=setup.provider, day=TOMORROW, **kwargs)
    return dp, planning.solve_day(dp, time_limit=1.0, seed=3)


def _run(setup: Care, capture: Any, **kwargs: Any) -> PlanRun:
    with capture(execute=True):
        run = services.plan_run_start(
            actor=setup.manager, provider=setup.provider, day=TOMORROW, time_limit=1, **kwargs
        )
    run.refresh_from_db()
    return run


def test_the_problem_takes_skills_from_valid_certificates_and_syncs_double_ups(
    care: Care,  # noqa: F811
    day: Day,
) -> None:
    bath = day.visit("ZY01", "09:00", "11:00")
    lift = day.visit("ZY02", "14:00", "16:00", elder=1)
    dp = planning.build_day(provider=care.provider, day=TOMORROW)
    caregivers = {c.id: c for c in dp.problem.caregivers}
    wang, zhao = (str(care.caregivers[n].external_id) for n in ("wang", "zhao"))
    assert "q:elder_care_worker" in caregivers[wang].skills
    assert "bathing" in caregivers[zhao].skills
    assert "q:elder_care_worker" not in caregivers[zhao].skills  # expired three days ago
    assert caregivers[wang].shift_start == 0 and caregivers[wang].shift_end == 23 * 60 + 59
    visits = {v.id: v for v in dp.problem.visits}
    one = visits[str(bath.external_id)]
    assert one.requirements[0].skills == {"bathing", "q:elder_care_worker"}
    assert (one.window.earliest, one.window.latest) == (9 * 60, 10 * 60)  # ends in the window
    two = visits[str(lift.external_id)]
    assert len(two.requirements) == 2 and two.sync is not None
    assert two.sync.kind == "simultaneous"


def test_a_run_plans_everything_it_can_and_explains_the_rest(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    catalogue.offering_set(
        actor=care.manager,
        provider=care.provider,
        item=care.items["ZJ01"],
        price=care.items["ZJ01"].standard_price,
    )
    plain = [
        day.visit("JW03", "09:00", "10:00", elder=0),
        day.visit("ZY01", "09:00", "11:00", elder=1),
        day.visit("JW03", "10:00", "11:00", elder=2),
        day.visit("ZY02", "14:00", "16:00", elder=3),
        day.visit("JW03", "16:30", "17:30", elder=0),
    ]
    short = day.visit("ZJ01", "09:00", "11:00", elder=2)
    Visit.objects.filter(pk=short.pk).update(
        window_end=short.window_start + datetime.timedelta(minutes=60)
    )
    # a caregiver with no shift that day is left out, with a note
    catalogue.caregiver_save(
        actor=care.manager,
        provider=care.provider,
        caregiver=care.caregivers["zhao"],
        work_days=[(TOMORROW.weekday() + 1) % 7],
    )
    run = _run(care, django_capture_on_commit_callbacks)
    assert run.status == PlanRunStatus.DONE, run.error
    assert run.progress == 100
    proposal = run.proposal
    rows = {row["id"]: row for row in proposal["visits"]}
    for visit in plain:
        row = rows[str(visit.external_id)]
        assert row["proposed"] and row["unassigned"] is None, row
    lift = rows[str(plain[3].external_id)]
    assert len(set(lift["proposed"]["caregivers"])) == 2
    assert rows[str(short.external_id)]["unassigned"]["code"] == "window_too_short"
    # stored as a code with its figures; worded when shown, in the reader's language
    stored = rows[str(short.external_id)]["unassigned"]
    assert "message" not in stored
    assert stored["params"]["window"] == 60
    assert "shorter than the service" in wording.reason_text(stored)
    with translation.override("zh-hans"):
        assert "shorter than the service" not in wording.reason_text(stored)
    assert proposal["proposal"]["unassigned"] == 1
    assert proposal["current"]["unassigned"] == 6
    assert all(isinstance(note, dict) for note in proposal["notes"])
    assert any(note["code"] == wording.NOTE_NOT_WORKING for note in proposal["notes"])
    worded = [wording.note_text(note, lambda key: "Zhao") for note in proposal["notes"]]
    assert "Zhao does not work that day." in worded
    # the proposal breaks no rule, and no caregiver gets two visits in overlapping windows
    dp, solved = _solve(care)
    assert evaluate(solved.problem, solved.solution).violations == []
    assert planning.dispatch_check(dp, planning.assignment_of(solved.solution)) == {}
    # so accepting all of it passes every dispatch rule
    assert all(row["refusals"] == [] for row in proposal["visits"])
    result = services.plan_accept(actor=care.manager, run=run)
    assert result.refused == {}
    assert sorted(result.assigned) == sorted(str(v.external_id) for v in plain)


def test_a_caregiver_gets_no_two_visits_that_cannot_follow_each_other(
    care: Care,  # noqa: F811
    day: Day,
) -> None:
    # zhao is off: wang and li must both do the double-up 14:00-16:00 (90 min), so the visit
    # 14:00-15:00 cannot be done by either as well; one of the two is left out, and says why
    catalogue.caregiver_save(
        actor=care.manager,
        provider=care.provider,
        caregiver=care.caregivers["zhao"],
        work_days=[(TOMORROW.weekday() + 1) % 7],
    )
    lift = day.visit("ZY02", "14:00", "16:00", elder=3)
    visit = day.visit("JW03", "14:00", "15:00", elder=0)
    dp, solved = _solve(care)
    proposal = planning.proposal_json(dp, solved)
    rows = {row["id"]: row for row in proposal["visits"]}
    left = [
        rows[str(v.external_id)] for v in (lift, visit) if not rows[str(v.external_id)]["proposed"]
    ]
    assert len(left) == 1
    assert left[0]["unassigned"]["code"] in ("no_feasible_insertion", "double_booked")
    assert "overlapping window" in wording.reason_text(left[0]["unassigned"])


def test_a_visit_nobody_may_do_is_explained(care: Care, day: Day) -> None:  # noqa: F811
    catalogue.offering_set(
        actor=care.manager,
        provider=care.provider,
        item=care.items["ZYI03"],
        price=care.items["ZYI03"].standard_price,
    )
    wound = day.visit("ZYI03", "09:00", "10:00")
    ok = day.visit("JW03", "09:00", "10:00", elder=1)
    dp, solved = _solve(care)
    proposal = planning.proposal_json(dp, solved)
    rows = {row["id"]: row for row in proposal["visits"]}
    assert rows[str(wound.external_id)]["unassigned"]["code"] == "no_skill"
    assert "wound_care" in wording.reason_text(rows[str(wound.external_id)]["unassigned"])
    assert rows[str(ok.external_id)]["proposed"] is not None


def test_the_same_seed_gives_the_same_proposal(care: Care, day: Day) -> None:  # noqa: F811
    for i, (start, end) in enumerate([("09:00", "10:00"), ("09:30", "11:00"), ("13:00", "14:00")]):
        day.visit("JW03", start, end, elder=i)
    day.visit("ZY02", "14:00", "16:00", elder=3)
    answers = []
    for _ in range(2):
        dp = planning.build_day(provider=care.provider, day=TOMORROW)
        solved = planning.solve_day(dp, time_limit=10, seed=7, max_iterations=150)
        proposal = planning.proposal_json(dp, solved)
        answers.append([(r["id"], r["proposed"]) for r in proposal["visits"]])
    assert answers[0] == answers[1]


def test_accepting_assigns_through_the_dispatch_service_and_reports_refusals(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visits = [
        day.visit("JW03", "09:00", "10:00", elder=0),
        day.visit("ZY01", "10:00", "11:30", elder=1),
        day.visit("JW03", "14:00", "15:00", elder=2),
    ]
    run = _run(care, django_capture_on_commit_callbacks)
    rows = {row["id"]: row for row in run.proposal["visits"]}
    some = [str(visits[0].external_id), str(visits[1].external_id)]
    # between the plan and the acceptance, the caregiver proposed for the first visit
    # stops working that day: that visit is refused with its reason, the other assigned
    first = rows[some[0]]["proposed"]["caregivers"][0]
    gone = next(c for c in care.caregivers.values() if str(c.external_id) == first)
    catalogue.caregiver_save(
        actor=care.manager,
        provider=care.provider,
        caregiver=gone,
        work_days=[(TOMORROW.weekday() + 1) % 7],
    )
    result = services.plan_accept(actor=care.manager, run=run, visit_ids=some)
    assert some[0] in result.refused
    # the real reason: a day off, with the caregiver and no conflicting visit
    found = result.refused[some[0]][0]
    assert (found["code"], found["conflict"]) == ("day_off", None)
    if rows[some[1]]["proposed"]["caregivers"][0] != first:
        assert result.assigned == [some[1]]
        visit = Visit.objects.get(external_id=some[1])
        assert visit.status == "assigned"
        assert str(visit.caregiver.external_id) == rows[some[1]]["proposed"]["caregivers"][0]
    untouched = Visit.objects.get(pk=visits[2].pk)
    assert untouched.caregiver is None and untouched.status == "scheduled"


def test_replanning_after_a_dropout_moves_only_that_caregivers_visits(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cg = care.caregivers
    wang_visit = day.visit("ZY01", "09:00", "10:30", elder=0)
    li_visit = day.visit("JW03", "09:00", "10:00", elder=1)
    zhao_visits = [
        day.visit("JW03", "11:00", "12:00", elder=2),
        day.visit("JW03", "14:00", "15:00", elder=3),
    ]
    dispatch.visit_assign(actor=care.manager, visit=wang_visit, caregivers=[cg["wang"]])
    dispatch.visit_assign(actor=care.manager, visit=li_visit, caregivers=[cg["li"]])
    for visit in zhao_visits:
        dispatch.visit_assign(actor=care.manager, visit=visit, caregivers=[cg["zhao"]])
    with django_capture_on_commit_callbacks(execute=True):
        run = services.replan_after_dropout(
            actor=care.manager,
            provider=care.provider,
            day=TOMORROW,
            caregiver=cg["zhao"],
            time_limit=1,
        )
    run.refresh_from_db()
    assert run.status == PlanRunStatus.DONE, run.error
    rows = {row["id"]: row for row in run.proposal["visits"]}
    for visit, name in ((wang_visit, "wang"), (li_visit, "li")):
        row = rows[str(visit.external_id)]
        assert not row["changed"]
        assert row["proposed"]["caregivers"] == [str(cg[name].external_id)]
    for visit in zhao_visits:
        row = rows[str(visit.external_id)]
        assert row["changed"] and str(cg["zhao"].external_id) not in row["proposed"]["caregivers"]
    result = services.plan_accept(actor=care.manager, run=run, visit_ids=None)
    assert sorted(result.assigned) == sorted(str(v.external_id) for v in zhao_visits)
    assert result.refused == {}
    assert Visit.objects.get(pk=wang_visit.pk).caregiver == cg["wang"]
    assert Visit.objects.get(pk=li_visit.pk).caregiver == cg["li"]
    for visit in zhao_visits:
        assert Visit.objects.get(pk=visit.pk).caregiver in (cg["wang"], cg["li"])


def test_a_visit_under_way_stays_with_its_caregiver(care: Care) -> None:  # noqa: F811
    visit = care.now_window(care.assigned("JW03", "wang"))
    Visit.objects.filter(pk=visit.pk).update(
        status="checked_in", check_in_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    dp = planning.build_day(provider=care.provider, day=timezone.localdate(visit.window_start))
    solved = planning.solve_day(dp, time_limit=0.5, seed=1)
    row = planning.proposal_json(dp, solved)["visits"][0]
    assert row["fixed"] and not row["changed"]
    assert row["proposed"]["caregivers"] == [str(care.caregivers["wang"].external_id)]


def test_bad_input_is_refused_with_reasons(care: Care) -> None:  # noqa: F811
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as error:
        services.plan_run_start(
            actor=care.manager,
            provider=care.provider,
            day=timezone.localdate() - datetime.timedelta(days=1),
            time_limit=0,
        )
    assert set(error.value.message_dict) == {"day", "time_limit"}
    with pytest.raises(PermissionDenied):
        services.plan_run_start(
            actor=care.caregiver_user, provider=care.provider, day=TOMORROW, time_limit=1
        )
    assert ALL_DAY["work_start"] == "00:00"


def test_the_api_and_the_page(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = day.visit("JW03", "09:00", "10:00", elder=0)
    day.visit("JW03", "14:00", "15:00", elder=1)
    client = Client()
    client.force_login(care.manager)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/api/v1/plan-runs/",
            {
                "provider": str(care.provider.external_id),
                "date": TOMORROW.isoformat(),
                "time_limit": 1,
            },
            content_type="application/json",
        )
    assert answer.status_code == 201, answer.content
    run_id = answer.json()["id"]
    got = client.get(f"/api/v1/plan-runs/{run_id}/").json()
    assert got["status"] == "done" and got["progress"] == 100
    assert got["proposal"]["proposal"]["unassigned"] == 0
    page = client.get(f"/scheduling/plan/{run_id}/")
    assert page.status_code == 200
    assert str(first.external_id) in page.content.decode()
    accepted = client.post(
        f"/api/v1/plan-runs/{run_id}/accept/",
        {"visits": [str(first.external_id)]},
        content_type="application/json",
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["assigned"] == [str(first.external_id)]
    assert Visit.objects.get(pk=first.pk).caregiver is not None
    posted = client.post(
        f"/scheduling/plan/{run_id}/", {"visits": [r["id"] for r in got["proposal"]["visits"]]}
    )
    assert posted.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        replan = client.post(
            "/api/v1/plan-runs/replan/",
            {
                "provider": str(care.provider.external_id),
                "date": TOMORROW.isoformat(),
                "caregiver": str(care.caregivers["li"].external_id),
                "time_limit": 1,
            },
            content_type="application/json",
        )
    assert replan.status_code == 201, replan.content
    assert replan.json()["kind"] == "replan"
    other = Client()
    other.force_login(care.caregiver_user)
    assert other.get(f"/api/v1/plan-runs/{run_id}/").status_code in (403, 404)


def test_what_still_breaks_a_dispatch_rule_when_time_is_up_is_left_out(
    care: Care,  # noqa: F811
    day: Day,
) -> None:
    catalogue.caregiver_save(
        actor=care.manager,
        provider=care.provider,
        caregiver=care.caregivers["zhao"],
        work_days=[(TOMORROW.weekday() + 1) % 7],
    )
    lift = day.visit("ZY02", "14:00", "16:00", elder=3)
    visit = day.visit("JW03", "14:00", "15:00", elder=0)
    dp = planning.build_day(provider=care.provider, day=TOMORROW)
    solved = planning.solve_day(dp, time_limit=0.0001, seed=1)  # no time for a second round
    assert planning.dispatch_check(dp, planning.assignment_of(solved.solution)) == {}
    proposal = planning.proposal_json(dp, solved)
    rows = {row["id"]: row for row in proposal["visits"]}
    assert [rows[str(v.external_id)]["proposed"] is None for v in (lift, visit)].count(True) == 1
    assert proposal["proposal"]["rule_breaks"] == 0


def test_after_a_dropout_a_visit_nobody_can_take_is_unassigned_on_accepting(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    bath = day.visit("ZY01", "09:00", "10:30", elder=0)  # only wang may bathe
    dispatch.visit_assign(actor=care.manager, visit=bath, caregivers=[care.caregivers["wang"]])
    with django_capture_on_commit_callbacks(execute=True):
        run = services.replan_after_dropout(
            actor=care.manager,
            provider=care.provider,
            day=TOMORROW,
            caregiver=care.caregivers["wang"],
            time_limit=1,
        )
    run.refresh_from_db()
    row = run.proposal["visits"][0]
    assert row["proposed"] is None and row["unassigned"]["code"] == "outside_hours"
    client = Client()
    client.force_login(care.manager)
    page = client.get(f"/scheduling/plan/{run.external_id}/")
    assert f'value="{bath.external_id}"' in page.content.decode()
    result = services.plan_accept(actor=care.manager, run=run)
    assert result.unassigned == [str(bath.external_id)]
    bath.refresh_from_db()
    assert bath.caregiver is None and bath.status == "scheduled"


def test_continuity_prefers_the_caregiver_who_came_last_time(
    care: Care,  # noqa: F811
    day: Day,
) -> None:
    before = day.visit("JW03", "09:00", "10:00", elder=1)
    Visit.objects.filter(pk=before.pk).update(
        date=TOMORROW - datetime.timedelta(days=7),
        status="confirmed",
        caregiver=care.caregivers["zhao"],
    )
    visit = day.visit("JW03", "09:00", "10:00", elder=1)
    dp, solved = _solve(care)
    proposal = planning.proposal_json(dp, solved)
    row = next(r for r in proposal["visits"] if r["id"] == str(visit.external_id))
    assert row["proposed"]["caregivers"] == [str(care.caregivers["zhao"].external_id)]
    assert proposal["proposal"]["continuity_kept"] == 1
    assert proposal["current"]["continuity_kept"] == 0


def test_the_board_can_start_a_run_or_a_replan_with_a_form(
    care: Care,  # noqa: F811
    day: Day,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visit = day.visit("JW03", "09:00", "10:00")
    dispatch.visit_assign(actor=care.manager, visit=visit, caregivers=[care.caregivers["li"]])
    client = Client()
    client.force_login(care.manager)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/scheduling/plan/", {"date": TOMORROW.isoformat(), "time_limit": "1"})
    run = PlanRun.objects.get()
    assert answer.status_code == 302 and answer.url == f"/scheduling/plan/{run.external_id}/"
    assert run.status == PlanRunStatus.DONE and run.kind == "optimise"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/scheduling/plan/",
            {
                "date": TOMORROW.isoformat(),
                "caregiver": str(care.caregivers["li"].external_id),
                "time_limit": "1",
            },
        )
    replan = PlanRun.objects.filter(kind="replan").get()
    assert replan.dropped_caregiver == care.caregivers["li"]
    row = replan.proposal["visits"][0]
    assert (
        row["changed"]
        and str(care.caregivers["li"].external_id) not in (row["proposed"]["caregivers"])
    )
    page = client.get(answer.url)
    assert page.status_code == 200 and str(visit.external_id) in page.content.decode()
    bad = client.post("/scheduling/plan/", {"date": "2000-01-01"})
    assert bad.status_code == 302 and bad.url.startswith("/visits/board/")
    assert client.get("/scheduling/plan/").status_code == 405


def test_the_dispatch_rules_check_a_proposal(care: Care, day: Day) -> None:  # noqa: F811
    bath = day.visit("ZY01", "09:00", "11:00")
    other = day.visit("JW03", "09:00", "10:00", elder=1)
    dp = planning.build_day(provider=care.provider, day=TOMORROW)
    wang, zhao = (str(care.caregivers[n].external_id) for n in ("wang", "zhao"))
    found = planning.dispatch_check(
        dp, {str(bath.external_id): [zhao], str(other.external_id): [wang]}
    )
    assert list(found) == [str(bath.external_id)]
    assert [r["code"] for r in found[str(bath.external_id)]] == ["expired_certificate"]
