"""The figures a home page shows, computed within the actor's scope."""

from __future__ import annotations

from django.test import Client

from tests.conftest import World, login
from yiyang.organisations.models import Organisation
from yiyang.organisations.selectors import organisation_summary


def test_city_summary_counts_coverage_and_beds(world: World) -> None:
    Organisation.objects.filter(name="站_XA1b").update(kind="elderly_canteen")
    summary = organisation_summary(actor=world.user["city_admin"])
    assert summary["coverage"] == {
        "urban": {"total": 3, "covered": 2, "percent": 66.7},
        "rural": {"total": 1, "covered": 1, "percent": 100.0},
    }
    assert summary["elders"] == 2700
    assert summary["beds_per_1000"] == 37.0
    assert (summary["nursing_share"], summary["occupancy"]) == (70.0, 80.0)
    assert summary["total"] == 7


def test_caregiver_summary_stays_inside_their_organisation(world: World) -> None:
    summary = organisation_summary(actor=world.user["caregiver"])
    assert summary["total"] == 1
    assert "coverage" not in summary


def test_home_page_shows_the_street_figures(world: World, client: Client) -> None:
    login(client, world.user["street_officer"])
    response = client.get("/")
    assert "建有养老服务站的社区" in response.content.decode()
    figures = {c["figure"].indicator.code: c["figure"] for c in response.context["cards"]}
    assert figures["station_coverage"].value.display == "100"  # both communities of the street
