"""Every figure of walking times says which method measured them: the dashboard's cards,
its tables and their sheets, the start page, the command-centre screen, the saved
scenarios, a scenario's workbook and its map image."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from tests.facilities.conftest import elder_at, facility_at
from yiyang.demo.streets import grid_network
from yiyang.facilities import planmap
from yiyang.facilities.choices import CandidateSource, FacilityKind
from yiyang.facilities.indicators import reach_method_note
from yiyang.facilities.planning import scenario_execute, scenario_save, scenario_start
from yiyang.facilities.services import coverage_compute, road_network_store

DETOUR = "Walking times by the Straight line × detour factor method."
NETWORK = "Walking times by the Walking network method."
# Pages speak the reader's language (Simplified Chinese by default).
DETOUR_ZH = "步行时间按“直线距离 × 绕行系数”方法计算。"
CIRCLE_ZH = "15分钟养老服务圈覆盖的老年人"


def test_the_note_names_the_latest_runs_method(placed, system):
    world = placed
    facility_at(world, system, "XA1a", 34.75, 113.65)
    elder_at(world, system, "XA1a", 34.754, 113.652)
    assert reach_method_note(world.div["XA1a"]) == (
        "Walking times have not been computed yet (yiyang compute-coverage)."
    )
    coverage_compute(actor=system, division=world.div["X"])
    assert reach_method_note(world.div["XA1a"]) == DETOUR
    network = grid_network(rows=40, cols=20, origin=(34.745, 113.64), seed=1)
    road_network_store(actor=system, city=world.div["X"], network=network, name="g", source="x")
    coverage_compute(actor=system, division=world.div["XA"])
    assert reach_method_note(world.div["XA1a"]) == NETWORK
    # the city's own figure still rests on the city-wide run, by the straight line
    assert reach_method_note(world.div["X"]) == DETOUR


def test_dashboard_start_page_and_screen_say_the_method(placed, system, client_for):
    world = placed
    facility_at(world, system, "XA1a", 34.75, 113.65)
    elder_at(world, system, "XA1a", 34.754, 113.652)
    coverage_compute(actor=system, division=world.div["X"])
    client = client_for("city_admin")
    page = client.get("/dashboard/", {"indicator": "circle_coverage"})
    cards = {c["figure"].indicator.code: c["note"] for c in page.context["cards"]}
    assert cards["circle_coverage"] == DETOUR_ZH
    assert cards["registered_elders"] == ""
    tables = page.context["tables"]
    [(names, sentence)] = tables["figures"].notes
    assert sentence == DETOUR_ZH
    assert names.split(" · ")[0] == CIRCLE_ZH
    assert tables["ranking"].notes == [(CIRCLE_ZH, DETOUR_ZH)]
    html = page.content.decode()
    assert html.count(f'<div class="figure-note muted">{DETOUR_ZH}</div>') == 1
    assert html.count('data-note="ranking"') == 1 and html.count('data-note="figures"') == 1
    export = client.get(
        "/dashboard/export.xlsx",
        {
            "division": str(world.div["X"].external_id),
            "indicator": "circle_coverage",
            "table": "ranking",
        },
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in list(sheet.iter_rows())[-1]][:2] == [
        CIRCLE_ZH,
        DETOUR_ZH,
    ]
    home = client.get("/")
    assert {c["figure"].indicator.code: c["note"] for c in home.context["cards"]}[
        "circle_coverage"
    ] == DETOUR_ZH
    screen = json.loads(client.get("/dashboard/screen/data.json").content)
    notes = {f["name"]: f["note"] for f in screen["figures"]}
    assert notes[CIRCLE_ZH] == DETOUR_ZH


def test_saved_scenarios_workbook_and_map_say_the_method(placed, system, client_for, monkeypatch):
    world = placed
    admin = world.user["city_admin"]
    for i in range(3):
        elder_at(world, system, "XA2a", 34.79 + i * 0.0003, 113.65)
    scenario = scenario_start(
        actor=admin,
        division=world.div["X"],
        kind=FacilityKind.ELDERLY_CANTEEN,
        candidate_source=CandidateSource.UPLOAD,
        sites=1,
        candidates=[{"name": "A", "lat": 34.7901, "lng": 113.6501}],
    )
    scenario = scenario_execute(scenario.pk)
    scenario_save(actor=admin, scenario=scenario, name="食堂 A")
    client = client_for("city_admin")
    plan = client.get("/facilities/plan/").content.decode()
    assert f'<td data-figure="method">{"直线距离 × 绕行系数"}</td>' in plan
    book = load_workbook(
        io.BytesIO(client.get(f"/facilities/plan/{scenario.external_id}/export.xlsx").content)
    )
    rows = [[c.value for c in row][:2] for row in book.active.iter_rows()]
    assert ["距离计算方法", "直线距离 × 绕行系数"] in rows
    drawn = {}

    def render_png(**kwargs):
        drawn.update(kwargs)
        return b"png"

    monkeypatch.setattr(planmap, "render_png", render_png)
    assert client.get(f"/facilities/plan/{scenario.external_id}/map.png").content == b"png"
    assert drawn["note"].startswith(DETOUR_ZH + " 底图：")
