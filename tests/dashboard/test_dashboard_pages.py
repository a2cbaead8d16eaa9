"""The dashboard, its exports, the boundaries and the screen: scoped per role."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from tests.conftest import World
from yiyang.core.models import AuditEvent
from yiyang.core.services import division_boundaries_import


def square(lng: float, lat: float, size: float = 0.01) -> list[list[float]]:
    return [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]


@pytest.fixture
def outlines(world: World) -> World:
    features = [
        {
            "type": "Feature",
            "properties": {"code": world.div[key].code},
            "geometry": {"type": "Polygon", "coordinates": [square(113.6 + i * 0.02, 34.7)]},
        }
        for i, key in enumerate(
            [
                "X",
                "XA",
                "XB",
                "XA1",
                "XA2",
                "XB1",
                "XA1a",
                "XA1b",
                "XA2a",
                "XB1a",
                "Y",
                "YA",
                "YA1",
                "YA1a",
            ]
        )
    ]
    for city in ("city_admin", "admin_Y"):
        mine = [
            f
            for f in features
            if world.user[city].scope.covers_division_code(f["properties"]["code"])
        ]
        division_boundaries_import(
            actor=world.user[city], collection={"type": "FeatureCollection", "features": mine}
        )
    return world


def test_city_admin_sees_the_city_with_cards_tables_and_chart_data(
    client_for, world: World
) -> None:
    response = client_for("city_admin").get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert world.div["X"].name in html
    assert 'data-chart="pyramid"' in html
    data = response.context["chart_data"]
    assert set(data) >= {"pyramid", "levels", "services", "boundariesUrl", "drillUrl"}
    assert world.div["Y"].name not in html


def test_street_officer_opens_on_the_street_and_cannot_reach_another(
    client_for, world: World
) -> None:
    client = client_for("street_officer")
    response = client.get("/dashboard/")
    assert response.context["division"] == world.div["XA1"]
    other = client.get(f"/dashboard/?division={world.div['XA2'].external_id}")
    assert other.context["division"] == world.div["XA1"]
    (message,) = [str(m) for m in other.context["messages"]]
    assert str(world.div["XA2"].external_id) in message
    assert world.div["XA2"].name not in other.content.decode().split("<main>")[1]


def test_drill_down_by_code_and_breadcrumbs(client_for, world: World) -> None:
    response = client_for("district_officer").get(f"/dashboard/?division={world.div['XA1'].code}")
    assert response.context["division"] == world.div["XA1"]
    assert [d.code for d in response.context["breadcrumbs"]] == [world.div["XA"].code]


def test_roles_without_indicators_get_403(client_for, world: World) -> None:
    for role in ("provider_manager", "caregiver", "assessor", "family"):
        assert client_for(role).get("/dashboard/").status_code == 403
        assert client_for(role).get("/dashboard/screen/").status_code == 403


def test_export_every_table_and_one_audited(client_for, world: World) -> None:
    client = client_for("district_officer")
    response = client.get(f"/dashboard/export.xlsx?division={world.div['XA'].external_id}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) >= 5
    one = client.get(f"/dashboard/export.xlsx?division={world.div['XA'].external_id}&table=levels")
    sheet = load_workbook(io.BytesIO(one.content)).active
    assert [c.value for c in sheet[3]] == ["Level", "Elders"] or sheet[3][0].value
    assert AuditEvent.objects.filter(object_type="dashboard.table").count() == 2
    assert client_for("community_worker").get("/dashboard/export.xlsx").status_code == 403


def test_export_of_another_district_falls_back_to_own(client_for, world: World) -> None:
    response = client_for("district_officer").get(
        f"/dashboard/export.xlsx?division={world.div['XB'].code}"
    )
    book = load_workbook(io.BytesIO(response.content))
    title = book[book.sheetnames[0]]["A1"].value
    assert title.startswith(world.div["XA"].name)


def test_basemap_is_scoped_and_never_403(client_for, outlines: World) -> None:
    w = outlines

    def codes(role):
        return {
            f["properties"]["code"]
            for f in json.loads(client_for(role).get("/dashboard/basemap.geojson").content)[
                "features"
            ]
            if f["properties"]["kind"] == "boundary"
        }

    assert codes("street_officer") == {w.div[k].code for k in ("XA1", "XA1a", "XA1b")}
    assert codes("district_officer") == {
        w.div[k].code for k in ("XA", "XA1", "XA2", "XA1a", "XA1b", "XA2a")
    }
    assert w.div["YA"].code not in codes("city_admin")
    assert w.div["X"].code in codes("provider_manager")  # the city its organisation works in
    assert codes("family") == set()


def test_boundaries_of_children_for_the_choropleth(client_for, outlines: World) -> None:
    w = outlines
    client = client_for("district_officer")
    data = json.loads(
        client.get(f"/dashboard/boundaries.geojson?division={w.div['XA'].external_id}").content
    )
    assert sorted(
        (f["properties"]["code"], f["properties"]["parent"]) for f in data["features"]
    ) == [
        (w.div["XA"].code, True),
        (w.div["XA1"].code, False),
        (w.div["XA2"].code, False),
    ]
    outside = client.get(f"/dashboard/boundaries.geojson?division={w.div['XB'].external_id}")
    assert outside.status_code == 400
    assert str(w.div["XB"].external_id) in outside.json()["error"]


def test_screen_and_its_data(client_for, world: World) -> None:
    client = client_for("operator")
    page = client.get("/dashboard/screen/")
    assert page.status_code == 200
    data = client.get("/dashboard/screen/data.json").json()
    assert set(data) >= {"figures", "visits", "alerts", "facilities"}
    assert data["visits"] == {"planned": 0, "in_progress": 0, "done": 0, "late": 0, "missed": 0}


def test_report_downloads_as_pdf_and_xlsx_and_refuses_a_future_month(
    client_for, world: World
) -> None:
    client = client_for("street_officer")
    pdf = client.get("/dashboard/report/?month=2026-01&format=pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert f"report-{world.div['XA1'].code}-2026-01.pdf" in pdf["Content-Disposition"]
    xlsx = client.get("/dashboard/report/?month=2026-01&format=xlsx")
    assert xlsx["Content-Type"].endswith("spreadsheetml.sheet")
    future = client.get("/dashboard/report/?month=2999-01", follow=True)
    assert future.redirect_chain[0][0].startswith("/dashboard/?division=")
    assert "2999-01" in future.content.decode()
    assert AuditEvent.objects.filter(object_type="indicators.report").count() == 2


def test_screen_data_queries_do_not_grow_with_alerts(
    client_for, world: World, django_assert_max_num_queries
) -> None:
    from tests.alerts.helpers import bound_device, elder_with_contacts
    from yiyang.alerts.services import alert_raise

    client = client_for("operator")
    client.get("/dashboard/screen/data.json")
    elder = elder_with_contacts(world, name="王秀英")
    bound_device(world, elder)
    with django_assert_max_num_queries(80) as few:
        client.get("/dashboard/screen/data.json")
    for _n in range(5):
        alert_raise(
            elder=elder,
            kind="sos",
            source="manual",
            actor=world.user["operator"],
            detail="按下呼叫键",
            dedupe_key=f"t{_n}",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = client.get("/dashboard/screen/data.json").json()
    assert data["alerts"]["recent_count"] >= 1


def test_screen_and_home_keep_to_the_jurisdiction(client_for, world: World) -> None:
    from tests.alerts.helpers import elder_with_contacts
    from yiyang.alerts.services import alert_raise

    mine = elder_with_contacts(world, community="XA1a", name="甲老人")
    other = elder_with_contacts(world, community="XA2a", name="乙老人")
    for n, elder in enumerate((mine, other)):
        alert_raise(
            elder=elder,
            kind="sos",
            source="manual",
            actor=world.user["operator"],
            detail="按下呼叫键",
            dedupe_key=f"scope{n}",
        )
    street = client_for("street_officer").get("/dashboard/screen/data.json").json()
    assert [a["place"] for a in street["alerts"]["active"]] == ["社区XA1a"]
    district = client_for("district_officer").get("/dashboard/screen/data.json").json()
    assert sorted(a["place"] for a in district["alerts"]["active"]) == ["社区XA1a", "社区XA2a"]
    outside = client_for("admin_Y").get("/dashboard/screen/data.json").json()
    assert outside["alerts"]["active"] == []
    street_home = client_for("street_officer").get("/")
    unresolved = [t for t in street_home.context["todos"] if t.url_name == "alerts:console"]
    assert [t.count for t in unresolved] == [1]


def test_ranking_and_export_name_only_divisions_in_scope(client_for, world: World) -> None:
    client = client_for("district_officer")
    page = client.get("/dashboard/")
    ranking = page.context["tables"]["ranking"]
    assert sorted(row[1] for row in ranking.rows) == ["街XA1", "街XA2"]
    book = load_workbook(io.BytesIO(client.get("/dashboard/export.xlsx?table=ranking").content))
    names = {c.value for row in book.active.iter_rows() for c in row}
    assert {"街XA1", "街XA2"} <= names
    assert not names & {"县XB", "镇XB1", "城Y", "区YA"}


def test_level_and_service_tables_come_from_the_indicators(client_for, world: World) -> None:
    from tests.alerts.helpers import elder_with_contacts

    elder_with_contacts(world, community="XA1a", name="丙老人")
    tables = client_for("district_officer").get("/dashboard/").context["tables"]
    assert tables["levels"].rows[-1] == ["未评估", 1]
    assert [row[1] for row in tables["services"].rows] == [0] * 9
    assert [row[1:] for row in tables["pyramid"].rows if row[1] or row[2]] != []


def test_each_alarm_on_the_screen_is_marked_against_the_answer_targets() -> None:
    import datetime
    from types import SimpleNamespace

    from django.utils import translation

    from yiyang.dashboard.selectors import _answer

    raised = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)

    def alert(seconds: int | None, status: str = "acknowledged", outcome: str = "") -> object:
        acknowledged = None if seconds is None else raised + datetime.timedelta(seconds=seconds)
        return SimpleNamespace(
            raised_at=raised, acknowledged_at=acknowledged, status=status, outcome=outcome
        )

    now = raised + datetime.timedelta(seconds=75)
    with translation.override("zh-hans"):
        assert _answer(alert(41), now) == ("ok", "41 秒 · 60 秒内")
        assert _answer(alert(95), now)[0] == "late"
        assert _answer(alert(200), now)[0] == "miss"
        assert _answer(alert(None, "open"), now) == ("miss", "已等待 75 秒")
        assert _answer(alert(None, "open"), raised + datetime.timedelta(seconds=20))[0] == "waiting"
        assert _answer(alert(None, "resolved", "auto_resolved"), now) == ("auto", "自动解除")
        assert _answer(alert(None, "resolved", "false_alarm"), now)[0] == "miss"
