from __future__ import annotations

from typing import Any

from django.utils import timezone

from tests.conftest import World
from tests.indicators.conftest import elder
from yiyang.core.permissions import Role
from yiyang.indicators.models import IndicatorTarget
from yiyang.indicators.selectors import current_month, month_add


def test_catalogue_and_values_scoped(world: World, client_for: Any) -> None:
    d = world.div
    elder(d["XA1a"])
    elder(d["XB1a"])
    city = client_for(Role.CITY_ADMIN)
    catalogue = city.get("/api/v1/indicators/").json()
    nursing = next(i for i in catalogue if i["code"] == "nursing_bed_share")
    assert (nursing["unit"], nursing["direction"], nursing["levels"]) == (
        "percent",
        "higher",
        ["city", "district", "street", "community"],
    )
    rows = city.get("/api/v1/indicators/registered_elders/values/?level=district").json()
    assert [(r["division_code"], r["value"], r["display"]) for r in rows] == [
        (d["XA"].code, "1.0000", "1"),
        (d["XB"].code, "1.0000", "1"),
    ]
    street = client_for(Role.STREET_OFFICER)
    # The default division is the top of the jurisdiction; above it is refused.
    rows = street.get("/api/v1/indicators/registered_elders/values/").json()
    assert [(r["division_code"], r["value"]) for r in rows] == [(d["XA1"].code, "1.0000")]
    answer = street.get(f"/api/v1/indicators/registered_elders/values/?division={d['XA'].code}")
    assert answer.status_code == 400 and d["XA"].code in answer.json()["division"][0]
    # XB has no census figure: the share is "—", never 0% or an error.
    empty = city.get(
        f"/api/v1/indicators/registration_share/values/?division={d['XB'].external_id}"
    ).json()
    assert [(r["value"], r["display"]) for r in empty] == [(None, "—")]


def test_values_bad_input_is_a_clear_400(world: World, client_for: Any) -> None:
    city = client_for(Role.CITY_ADMIN)
    future = month_add(current_month(), 1)
    cases = {
        "/api/v1/indicators/nope/values/": "code",
        f"/api/v1/indicators/beds/values/?to={future:%Y-%m}": "to",
        "/api/v1/indicators/beds/values/?from=2026-99": "from",
        "/api/v1/indicators/beds/values/?division=999999": "division",
        "/api/v1/indicators/beds/values/?level=galaxy": "level",
        "/api/v1/indicators/beds/values/?from=2001-01": "from",
    }
    for url, field in cases.items():
        answer = city.get(url)
        assert answer.status_code == 400, url
        assert field in answer.json(), url
    assert client_for(Role.CAREGIVER).get("/api/v1/indicators/").status_code == 403


def test_targets_api(world: World, client_for: Any) -> None:
    d = world.div
    year = timezone.localdate().year
    city = client_for(Role.CITY_ADMIN)
    made = city.post(
        "/api/v1/indicator-targets/",
        {
            "code": "nursing_bed_share",
            "year": year,
            "division": d["X"].code,
            "value": "70",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.json()
    bad = city.post(
        "/api/v1/indicator-targets/",
        {
            "code": "nursing_bed_share",
            "year": year,
            "division": d["X"].code,
            "value": "120",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "120" in bad.json()["value"][0]
    officer = client_for(Role.DISTRICT_OFFICER)
    own = officer.post(
        "/api/v1/indicator-targets/",
        {
            "code": "nursing_bed_share",
            "year": year,
            "division": str(d["XA"].external_id),
            "value": "75",
        },
        content_type="application/json",
    )
    assert own.status_code == 201
    # The district officer reads the city's target and their own; the street officer too.
    listed = officer.get(f"/api/v1/indicator-targets/?year={year}").json()["results"]
    assert sorted(t["division_code"] for t in listed) == [d["X"].code, d["XA"].code]
    target_id = made.json()["id"]
    assert (
        officer.patch(
            f"/api/v1/indicator-targets/{target_id}/",
            {"value": "1"},
            content_type="application/json",
        ).status_code
        == 400
    )
    changed = city.patch(
        f"/api/v1/indicator-targets/{target_id}/", {"value": "72"}, content_type="application/json"
    )
    assert changed.json()["value"] == "72.0000"
    assert city.delete(f"/api/v1/indicator-targets/{target_id}/").status_code == 204
    assert IndicatorTarget.objects.count() == 1
