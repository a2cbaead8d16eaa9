"""Skills contests written through the API: the city sets one up with events and records
the judges' scores, a provider enters its own current staff; every refusal says which
field and why."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import token_for
from tests.factories import UserFactory
from tests.visits.conftest import Care
from yiyang.core.permissions import Role
from yiyang.workforce.models import ContestEntry, Employment
from yiyang.workforce.selectors import person_record

pytestmark = pytest.mark.django_db
URL = "/api/v1/workforce/contests/"


def _api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def _contest(roster: Care) -> str:
    city = _api(roster.world.user[Role.CITY_ADMIN])
    made = _post(
        city,
        URL,
        {"name": "全市养老护理职业技能大赛", "held_on": "2026-10-20", "events": ["失能照护"]},
    )
    assert made.status_code == 201, made.content
    return str(made.json()["id"])


def _person(roster: Care, name: str) -> str:
    return str(Employment.objects.get(caregiver=roster.caregivers[name]).person.external_id)


def test_a_contest_from_set_up_to_awards_on_the_record(roster: Care) -> None:
    city, provider = _api(roster.world.user[Role.CITY_ADMIN]), _api(roster.manager)
    contest = _contest(roster)

    event = _post(city, f"{URL}{contest}/events/", {"name": "急救"})
    entries = {
        name: _post(
            provider,
            f"{URL}{contest}/entries/",
            {"event": "失能照护", "person": _person(roster, name)},
        ).json()["id"]
        for name in ("wang", "li", "zhao")
    }
    scored = _post(
        city,
        f"{URL}{contest}/scores/",
        {
            "event": "失能照护",
            "awards": ["一等奖", "二等奖", "三等奖"],
            "scores": [
                {"entry": entries["wang"], "score": "92.5"},
                {"entry": entries["li"], "score": "92.50"},
                {"entry": entries["zhao"], "score": 80},
            ],
        },
    )
    shown = provider.get(f"{URL}{contest}/").json()

    assert event.status_code == 201 and event.json()["events"] == ["失能照护", "急救"]
    assert scored.status_code == 200
    assert sorted((e["person_name"], e["rank"], e["award"]) for e in scored.json()) == [
        ("李护理", 1, "一等奖"),
        ("王护理", 1, "一等奖"),
        ("赵护理", 3, "三等奖"),
    ]
    assert [(e["score"], e["rank"]) for e in shown["entries"] if e["person_name"] == "赵护理"] == [
        ("80.00", 3)
    ]
    zhao = Employment.objects.get(caregiver=roster.caregivers["zhao"]).person
    assert [e.award for e in person_record(zhao)["contests"]] == ["三等奖"]


def test_only_the_city_sets_up_and_scores(roster: Care) -> None:
    provider = _api(roster.manager)
    contest = _contest(roster)
    entry = _post(
        provider,
        f"{URL}{contest}/entries/",
        {"event": "失能照护", "person": _person(roster, "wang")},
    ).json()["id"]

    made = _post(provider, URL, {"name": "机构赛", "held_on": "2026-10-20"})
    event = _post(provider, f"{URL}{contest}/events/", {"name": "急救"})
    scored = _post(
        provider,
        f"{URL}{contest}/scores/",
        {"event": "失能照护", "scores": [{"entry": entry, "score": "99"}]},
    )
    district = _post(
        _api(roster.world.user[Role.DISTRICT_OFFICER]),
        URL,
        {"name": "区赛", "held_on": "2026-10-20"},
    )

    assert [made.status_code, event.status_code, scored.status_code, district.status_code] == [
        403,
        403,
        403,
        403,
    ]
    assert ContestEntry.objects.get().score is None


def test_a_provider_enters_only_its_own_current_staff(roster: Care, world: Any) -> None:
    contest = _contest(roster)
    other = _api(
        UserFactory(
            username="m3", role=Role.PROVIDER_MANAGER, organisation=world.org["station_XA1a"]
        )
    )
    provider = _api(roster.manager)
    wang = Employment.objects.get(caregiver=roster.caregivers["wang"])

    foreign = _post(
        other, f"{URL}{contest}/entries/", {"event": "失能照护", "person": _person(roster, "wang")}
    )
    Employment.objects.filter(pk=wang.pk).update(left_on=wang.hired_on)
    gone = _post(
        provider,
        f"{URL}{contest}/entries/",
        {"event": "失能照护", "person": _person(roster, "wang")},
    )

    assert foreign.status_code == 400
    assert foreign.json()["person"] == ["No such caregiver on your roster."]
    assert gone.status_code == 400 and "no longer works for you" in gone.json()["person"][0]
    assert not ContestEntry.objects.exists()


def test_each_bad_field_is_named_with_its_reason(roster: Care) -> None:
    city, provider = _api(roster.world.user[Role.CITY_ADMIN]), _api(roster.manager)
    contest = _contest(roster)
    li = _person(roster, "li")
    entry = _post(provider, f"{URL}{contest}/entries/", {"event": "失能照护", "person": li})

    cases = {
        "no_name": _post(city, URL, {"name": " ", "held_on": "2026-10-20"}),
        "twice": _post(city, URL, {"name": "赛", "held_on": "2026-10-20", "events": ["A", "A"]}),
        "bad_date": _post(city, URL, {"name": "赛", "held_on": "2026-13-40"}),
        "event_again": _post(city, f"{URL}{contest}/events/", {"name": "失能照护"}),
        "unknown_event": _post(
            provider, f"{URL}{contest}/entries/", {"event": "烹饪", "person": li}
        ),
        "entered_twice": _post(
            provider, f"{URL}{contest}/entries/", {"event": "失能照护", "person": li}
        ),
        "bad_score": _post(
            city,
            f"{URL}{contest}/scores/",
            {"event": "失能照护", "scores": [{"entry": entry.json()["id"], "score": "-3"}]},
        ),
        "foreign_entry": _post(
            city,
            f"{URL}{contest}/scores/",
            {
                "event": "失能照护",
                "scores": [{"entry": "00000000-0000-0000-0000-000000000000", "score": "3"}],
            },
        ),
        "no_scores": _post(city, f"{URL}{contest}/scores/", {"event": "失能照护", "scores": []}),
    }

    fields = {key: (r.status_code, sorted(r.json())) for key, r in cases.items()}
    assert fields == {
        "no_name": (400, ["name"]),
        "twice": (400, ["events"]),
        "bad_date": (400, ["held_on"]),
        "event_again": (400, ["events"]),
        "unknown_event": (400, ["event"]),
        "entered_twice": (400, ["person"]),
        "bad_score": (400, ["scores"]),
        "foreign_entry": (400, ["scores"]),
        "no_scores": (400, ["scores"]),
    }
    assert "not an event of this contest" in cases["unknown_event"].json()["event"][0]
    missing = _api(roster.manager).post(
        f"{URL}00000000-0000-0000-0000-000000000000/entries/", {}, content_type="application/json"
    )
    assert missing.status_code == 404
