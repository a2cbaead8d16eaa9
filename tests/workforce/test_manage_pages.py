"""The pages that run the workforce: courses and sessions added on the training page, the
city's subsidy rules (added, changed, a rule paying twice refused, the month computed),
and skills contests (set up, entered, scored)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.visits.conftest import Care
from yiyang.core.permissions import Role
from yiyang.workforce.choices import LeaveReason, SkillLevel
from yiyang.workforce.models import (
    Contest,
    ContestEntry,
    Course,
    Employment,
    SubsidyEntitlement,
    SubsidyRule,
    TrainingSession,
)

pytestmark = pytest.mark.django_db

COURSE = {
    "form": "course",
    "course-name": "失智照护",
    "course-theory_hours": "8",
    "course-practice_hours": "8",
    "course-target_level": "4",
    "course-qualification": "elder_care_worker",
    "course-certificate_valid_months": "24",
}


def _session_data(course: Course, start: str, end: str) -> dict[str, str]:
    return {
        "form": "session",
        "session-course": str(course.external_id),
        "session-starts_at": start,
        "session-ends_at": end,
        "session-place": "市培训中心",
        "session-capacity": "30",
    }


def test_a_city_adds_a_course_and_a_session(roster: Care) -> None:
    admin = login(Client(), roster.world.user[Role.CITY_ADMIN])

    added = admin.post("/workforce/training/", COURSE)
    course = Course.objects.get(name="失智照护")
    wrong = admin.post(
        "/workforce/training/", _session_data(course, "2030-05-01T14:00", "2030-05-01T09:00")
    )
    session = admin.post(
        "/workforce/training/", _session_data(course, "2030-05-01T09:00", "2030-05-01T17:00")
    )

    assert added.status_code == 302
    assert (course.organiser_kind, course.division, course.certificate_valid_months) == (
        "city",
        roster.world.div["X"],
        24,
    )
    assert wrong.status_code == 200 and 'id="session-form"' in wrong.content.decode()
    assert "has-error" in wrong.content.decode()
    assert session.status_code == 302
    made = TrainingSession.objects.get()
    assert timezone.localtime(made.starts_at).strftime("%Y-%m-%d %H:%M") == "2030-05-01 09:00"
    assert (made.place, made.capacity) == ("市培训中心", 30)


def test_a_provider_runs_its_own_course(roster: Care) -> None:
    manager = login(Client(), roster.manager)
    data = COURSE | {"course-organiser": str(roster.provider.external_id)}

    no_organiser = manager.post("/workforce/training/", COURSE)
    added = manager.post("/workforce/training/", data)

    assert no_organiser.status_code == 200 and Course.objects.count() == 1
    assert added.status_code == 302
    course = Course.objects.get()
    assert (course.organiser, course.organiser_kind) == (roster.provider, "provider")


def test_caregivers_see_no_forms(roster: Care) -> None:
    client = login(Client(), roster.world.user[Role.CAREGIVER])
    page = client.get("/workforce/training/")
    assert page.status_code == 200 and 'id="course-form"' not in page.content.decode()
    assert client.post("/workforce/training/", COURSE).status_code == 403
    assert Course.objects.count() == 0


RULE = {
    "form": "rule",
    "name": "持证岗位补贴",
    "kind": "post",
    "amount": "200",
    "qualification": "elder_care_worker",
    "min_years_in_sector": "0",
    "valid_from": "2020-01-01",
    "is_active": "on",
}


def test_the_city_sets_subsidy_rules_and_computes_a_month(roster: Care) -> None:
    admin = login(Client(), roster.world.user[Role.CITY_ADMIN])
    month = timezone.localdate().strftime("%Y-%m")

    admin.post("/workforce/subsidies/", RULE)
    twice = admin.post("/workforce/subsidies/", RULE | {"name": "重复"})
    rule = SubsidyRule.objects.get()
    changed = admin.post(
        f"/workforce/subsidies/rules/{rule.external_id}/", RULE | {"amount": "250.5"}
    )
    admin.post("/workforce/subsidies/", {"form": "evaluate", "month": month})
    page = admin.get(f"/workforce/subsidies/?month={month}").content.decode()

    assert SubsidyRule.objects.count() == 1
    assert "has-error" in twice.content.decode() and "持证岗位补贴" in twice.content.decode()
    assert changed.status_code == 302
    paid = {(e.person.name, e.amount) for e in SubsidyEntitlement.objects.all()}
    assert paid == {("李护理", Decimal("250.50")), ("王护理", Decimal("250.50"))}
    assert "certificate:" not in page and "持证岗位补贴" in page
    assert "· " not in page.split('id="subsidy-rules"')[1].split("</section>")[0]


@pytest.mark.parametrize("role", [Role.DISTRICT_OFFICER, Role.AUDITOR])
def test_others_read_the_rules_but_do_not_change_them(roster: Care, role: str) -> None:
    client = login(Client(), roster.world.user[role])
    assert client.get("/workforce/subsidies/").status_code == 200
    assert client.post("/workforce/subsidies/", RULE).status_code == 403
    assert SubsidyRule.objects.count() == 0


def test_a_contest_set_up_entered_and_scored(roster: Care) -> None:
    admin = login(Client(), roster.world.user[Role.CITY_ADMIN])
    manager = login(Client(), roster.manager)

    admin.post("/workforce/contests/", {"name": "全市技能大赛", "held_on": "2026-10-20"})
    contest = Contest.objects.get()
    url = f"/workforce/contests/{contest.external_id}/"
    for name in ("wang", "li"):
        person = Employment.objects.get(caregiver=roster.caregivers[name]).person
        manager.post(
            url,
            {"form": "entry", "entry-event": "失能照护", "entry-person": str(person.external_id)},
        )
    entries = {e.person.name: e for e in ContestEntry.objects.select_related("person")}
    admin.post(
        url,
        {
            "form": "scores",
            "event": "失能照护",
            "awards": "一等奖\n二等奖",
            f"score_{entries['王护理'].external_id}": "88",
            f"score_{entries['李护理'].external_id}": "91.5",
        },
    )
    page = manager.get(url).content.decode()
    by_manager = manager.post("/workforce/contests/", {"name": "区赛", "held_on": "2026-11-01"})

    ranked = {e.person.name: (e.rank, e.award) for e in ContestEntry.objects.all()}
    assert ranked == {"李护理": (1, "一等奖"), "王护理": (2, "二等奖")}
    assert "一等奖" in page
    assert by_manager.status_code == 200 and Contest.objects.count() == 1
    day = datetime.date(2026, 10, 20)
    assert Contest.objects.get().held_on == day


def test_the_roster_in_figures(roster: Care) -> None:
    from yiyang.workforce.selectors import workforce_figures

    today = timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=15)
    employments = {
        n: Employment.objects.get(caregiver=roster.caregivers[n]) for n in ("wang", "li", "zhao")
    }
    Employment.objects.filter(pk=employments["wang"].pk).update(hired_on=datetime.date(2020, 1, 1))
    Employment.objects.filter(pk=employments["li"].pk).update(
        hired_on=datetime.date(2020, 1, 1), left_on=last_month, leave_reason="pay"
    )
    employments["wang"].person.__class__.objects.filter(pk=employments["wang"].person_id).update(
        skill_level="4"
    )

    figures = workforce_figures(actor=roster.manager, today=today)
    page = login(Client(), roster.manager).get("/workforce/figures/")

    # month-end headcounts: wang 12, li 11 (gone before the last one): 23 / 12 on average
    assert figures["turnover"].rate == Decimal("52.17")
    assert [(str(label), n) for label, n in figures["reasons"]] == [(str(LeaveReason.PAY.label), 1)]
    assert {str(k): v for k, v in figures["mix"]}[str(SkillLevel.LEVEL_4.label)] == 1
    assert (figures["no_level"], figures["employed"]) == (1, 2)
    assert page.status_code == 200 and 'id="leave-reasons"' in page.content.decode()


def test_contest_and_subsidy_lists_keep_their_query_counts(roster: Care) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import token_for
    from yiyang.workforce.services import (
        contest_create,
        contest_entry_add,
        subsidies_evaluate,
        subsidy_rule_save,
    )

    admin_user = roster.world.user[Role.CITY_ADMIN]
    city = roster.world.div["X"]
    page = login(Client(), admin_user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(admin_user)}")
    urls = [
        (page, "/workforce/contests/"),
        (page, "/workforce/subsidies/"),
        (api, "/api/v1/workforce/contests/"),
        (page, "/workforce/figures/"),
    ]

    def counts() -> list[int]:
        found = []
        for client, url in urls:
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200
            # the token's last-used time is written at most once a minute: not the list's
            found.append(
                sum('UPDATE "accounts_apitoken"' not in q["sql"] for q in context.captured_queries)
            )
        return found

    def contest(n: int) -> None:
        made = contest_create(
            actor=admin_user, city=city, name=f"大赛{n}", held_on=datetime.date(2026, 10, n)
        )
        for name in ("wang", "li"):
            person = Employment.objects.get(caregiver=roster.caregivers[name]).person
            contest_entry_add(actor=roster.manager, contest=made, event="急救", person=person)

    contest(1)
    subsidy_rule_save(
        actor=admin_user,
        city=city,
        name="岗位补贴",
        kind="post",
        amount="100",
        valid_from=datetime.date(2020, 1, 1),
    )
    few = counts()
    for n in range(2, 6):
        contest(n)
    subsidies_evaluate(actor=admin_user, city=city, month=timezone.localdate())
    many = counts()

    assert many == few
