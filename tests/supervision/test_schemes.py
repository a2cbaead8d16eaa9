"""The rating schemes page: the scheme as the city configured it, marked unverified where
it is, and the city loading its own edition (checked whole, nothing half-written)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import World, login
from tests.supervision.conftest import scored
from yiyang.core.permissions import Role
from yiyang.supervision.models import RatingScheme

SCHEME = Path("yiyang/supervision/schemes/gbt37276-2018.json")


def test_the_page_shows_the_scheme_as_the_citys_configuration(world: World) -> None:
    page = login(Client(), world.user[Role.EVALUATOR]).get("/supervision/schemes/")
    html = page.content.decode()
    assert page.status_code == 200 and "data-city-configuration" in html
    assert "data-unverified" in html and "F3" in html and ">900<" in html and "90%" in html
    assert 'name="scheme"' not in html  # only the city loads a scheme


def test_the_city_loads_its_own_scheme(world: World) -> None:
    definition = json.loads(SCHEME.read_text(encoding="utf-8"))
    definition |= {"version": "city-2027", "unverified": False}
    city = login(Client(), world.user[Role.CITY_ADMIN])
    bad = dict(definition, items=definition["items"][:-1])  # the services part no longer adds up
    for content in (b"{not json", json.dumps(bad).encode()):
        response = city.post(
            "/supervision/schemes/", {"scheme": SimpleUploadedFile("s.json", content)}, follow=True
        )
        assert response.status_code == 200
        assert not RatingScheme.objects.filter(version="city-2027").exists()
    assert "parts.services" not in response.content.decode()  # words, not the field code only
    city.post(
        "/supervision/schemes/",
        {"scheme": SimpleUploadedFile("s.json", json.dumps(definition).encode())},
    )
    active = RatingScheme.objects.get(code="gbt37276", is_active=True)
    assert (active.version, active.unverified) == ("city-2027", False)
    district = login(Client(), world.user[Role.DISTRICT_OFFICER])
    response = district.post(
        "/supervision/schemes/", {"scheme": SimpleUploadedFile("s.json", b"{}")}
    )
    assert response.status_code == 403


def test_the_shipped_schemes_sources_read_in_chinese(db: None) -> None:
    scheme = RatingScheme.objects.get(code="gbt37276", version="2018")
    assert scheme.source.startswith("结构") and "长沙" in scheme.levels[0]["source"]
    # A database seeded with the first (English) wording is brought up to date; a city's
    # own wording is left alone.
    RatingScheme.objects.filter(pk=scheme.pk).update(source="Structure (five levels ...")
    migration = importlib.import_module(
        "yiyang.supervision.migrations.0008_scheme_sources_in_chinese"
    )
    migration.chinese_sources(django_apps, None)
    assert RatingScheme.objects.get(pk=scheme.pk).source.startswith("结构")
    RatingScheme.objects.filter(pk=scheme.pk).update(source="本市自定")
    migration.chinese_sources(django_apps, None)
    assert RatingScheme.objects.get(pk=scheme.pk).source == "本市自定"


def test_every_figure_of_the_shipped_scheme_states_its_source(db: None) -> None:
    definition = json.loads(SCHEME.read_text(encoding="utf-8"))
    assert "GB/T 37276-2018" in definition["source"] and definition["unverified"] is True
    for row in definition["parts"] + definition["levels"] + definition["items"]:
        assert row["source"].strip(), row
        # No public text of the standard's annex was found: every figure is unverified.
        assert row["unverified"] is True, row
    stored = RatingScheme.objects.get(code="gbt37276", version="2018")
    items = {i.code: (i.source, i.unverified) for i in stored.items.all()}
    assert items == {i["code"]: (i["source"], True) for i in definition["items"]}
    assert stored.source == definition["source"]


def test_the_page_shows_each_figures_source_and_marks_the_unverified(world: World) -> None:
    html = login(Client(), world.user[Role.CITY_ADMIN]).get("/supervision/schemes/")
    text = html.content.decode()
    # Parts (4), levels (5) and items (14) each tagged, besides the scheme's own notice.
    assert text.count('<span class="tag" data-unverified>') == 4 + 5 + 14
    assert "GB 38600-2019《养老机构服务安全基本规范》" in text
    assert text.count("长沙市《养老机构等级评定实施细则（试行）》（转载于 2021-02-24）") == 4 + 5


def test_the_scoring_page_marks_each_unverified_item(sup: World) -> None:
    rating = scored(sup)
    evaluator = login(Client(), sup.user[Role.EVALUATOR])
    for url in (f"/supervision/ratings/{rating.external_id}/score/",
                f"/supervision/ratings/{rating.external_id}/"):  # fmt: skip
        text = evaluator.get(url).content.decode()
        assert text.count('data-unverified title="') == 14, url


def test_items_seeded_before_they_had_a_source_take_the_files(db: None) -> None:
    scheme = RatingScheme.objects.get(code="gbt37276", version="2018")
    scheme.items.update(source="")
    RatingScheme.objects.filter(pk=scheme.pk).update(source="结构（五个等级；总分 1000 分")
    migration = importlib.import_module("yiyang.supervision.migrations.0009_item_sources")
    migration.item_sources(django_apps, None)
    scheme.refresh_from_db()
    assert scheme.source.startswith("结构：GB/T 37276-2018")
    assert not scheme.items.filter(source="").exists()
    # A city's own wording of the scheme is left alone.
    RatingScheme.objects.filter(pk=scheme.pk).update(source="本市自定")
    migration.item_sources(django_apps, None)
    assert RatingScheme.objects.get(pk=scheme.pk).source == "本市自定"


def test_a_scheme_nested_ten_thousand_deep_is_refused_in_words_not_a_500(world: World) -> None:
    """Python's own parser recursed once per level and raised RecursionError (a 500); the
    upload reads with the depth-limited parser and says what is wrong."""
    deep = b'{"code": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    before = list(RatingScheme.objects.values_list("pk", "is_active"))
    city = login(Client(), world.user[Role.CITY_ADMIN])
    city.raise_request_exception = False
    response = city.post(
        "/supervision/schemes/", {"scheme": SimpleUploadedFile("deep.json", deep)}, follow=True
    )
    assert response.status_code == 200
    assert "文件嵌套超过 32 层，评级方案远不需要这么深。" in response.content.decode()
    assert list(RatingScheme.objects.values_list("pk", "is_active")) == before
