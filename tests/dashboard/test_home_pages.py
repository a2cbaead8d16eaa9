"""Each role's home page is its work, and no role sees a link that answers 403/404/500."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.conftest import World
from yiyang.core.permissions import Role


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("/") and not href.startswith("//"):
                self.hrefs.append(href.replace("&amp;", "&"))


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return sorted(set(parser.hrefs))


@pytest.mark.parametrize("role", [str(r) for r in Role])
def test_every_link_on_the_home_page_and_menu_opens(client_for, world: World, role: str) -> None:
    client: Client = client_for(role)
    home = client.get("/")
    assert home.status_code == 200
    hrefs = links_of(home.content.decode())
    assert "/" in hrefs
    for href in hrefs:
        response = client.get(href)
        assert response.status_code not in (403, 404, 500), (role, href, response.status_code)


def test_officers_see_figures_and_todos(client_for, world: World) -> None:
    response = client_for("district_officer").get("/")
    labels = [t.label for t in response.context["todos"]]
    assert labels == [
        "待审核的异常服务",
        "逾期未复评",
        "未处理的投诉",
        "未处置的报警",
        "有错误的导入",
    ]
    assert 'href="/dashboard/"' in response.content.decode()


def test_community_worker_has_quick_actions_and_attention(client_for, world: World) -> None:
    html = client_for("community_worker").get("/").content.decode()
    assert 'href="/elders/new/"' in html
    assert "需要关注的老年人" in html


def test_each_role_sees_its_own_work(client_for, world: World) -> None:
    assert client_for("caregiver").get("/").context["my_visits"] == []
    assert client_for("operator").get("/").context["queue"] == []
    assert client_for("assessor").get("/").context["schedule"] == []
    assert client_for("family").get("/").context["family"] == []
    boards = client_for("provider_manager").get("/").context["boards"]
    assert [b.counts["total"] for b in boards] == [0]


def test_menu_shows_the_dashboard_only_to_roles_that_may_open_it(client_for, world: World) -> None:
    for role in Role:
        html = client_for(str(role)).get("/").content.decode()
        nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
        assert nav is not None
        shown = 'href="/dashboard/"' in nav.group(0)
        assert shown == (
            role
            in {
                Role.CITY_ADMIN,
                Role.DISTRICT_OFFICER,
                Role.STREET_OFFICER,
                Role.COMMUNITY_WORKER,
                Role.OPERATOR,
                Role.AUDITOR,
            }
        ), role
