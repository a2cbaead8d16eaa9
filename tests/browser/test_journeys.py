"""Whole journeys in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from yiyang.accounts.models import User
from yiyang.demo.services import demo_city_build
from yiyang.organisations.models import Organisation

PASSWORD = "Browser-journey-2026"
pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_street_officer_sees_only_their_street(live_server: Any, browser: Any) -> None:
    demo_city_build(seed=5, password=PASSWORD)
    officer = User.objects.select_related("division").get(username="street_officer")
    prefix = officer.division.code_prefix
    mine = list(
        Organisation.objects.filter(division__code__startswith=prefix).order_by("name", "id")
    )
    elsewhere = (
        Organisation.objects.exclude(division__code__startswith=prefix).order_by("id").first()
    )
    assert mine
    assert elsewhere is not None

    page = browser.new_page()
    try:
        log_in(page, live_server.url, "street_officer")
        assert page.get_attribute("html", "lang") == "zh-hans"
        page.click("nav.mainnav >> text=机构")
        page.wait_for_url(f"{live_server.url}/organisations/")
        rows = page.locator("#organisations tbody tr td:first-child a").all_inner_texts()
        assert rows == [o.name for o in mine[:50]]
        assert elsewhere.name not in page.content()
        # Searching for another street's organisation finds nothing.
        page.fill("input[name=q]", elsewhere.name)
        page.click("#org-filters button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#organisations tbody tr td a").count() == 0
        # Opening one of their own organisations.
        page.goto(f"{live_server.url}/organisations/")
        page.click(f"text={mine[0].name}")
        page.wait_for_url(f"{live_server.url}/organisations/{mine[0].external_id}/")
        assert page.locator("h1").inner_text() == mine[0].name
        assert "行政区划" in page.content()
        # Switching the interface to English keeps the page and changes the language.
        page.click('button[data-lang="en"]')
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "en"
        assert page.url.endswith(f"/organisations/{mine[0].external_id}/")
        assert page.locator('button[data-lang="en"]').get_attribute("aria-pressed") == "true"
        assert "Division" in page.locator("dl.fields").inner_text()
        assert page.locator("nav.mainnav").inner_text().count("Organisations") == 1
        # A direct link to another street's organisation is a 404.
        response = page.goto(f"{live_server.url}/organisations/{elsewhere.external_id}/")
        assert response.status == 404
    finally:
        page.close()


def test_phone_width_has_no_sideways_scroll(live_server: Any, browser: Any, tmp_path: Any) -> None:
    demo_city_build(seed=5, password=PASSWORD)
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "district_officer")
        for path in ("/", "/organisations/", "/divisions/"):
            page.goto(f"{live_server.url}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
        page.goto(f"{live_server.url}/organisations/")
        page.screenshot(path=str(tmp_path / "organisations-360.png"), full_page=False)
        # The divisions tree expands on demand (htmx).
        page.goto(f"{live_server.url}/divisions/")
        before = page.locator("ul.tree li").count()
        page.locator("ul.tree button[hx-get]").first.click()
        # A selector wait, not a JavaScript predicate: the page's CSP forbids eval.
        page.locator("ul.tree li").nth(before).wait_for()
    finally:
        context.close()


def test_community_worker_imports_a_file_with_errors(
    live_server: Any, browser: Any, tmp_path: Any
) -> None:
    """Upload a small spreadsheet with one bad row, follow the job to the end, see the
    counts, download the error report, find the imported elders in the list."""
    from openpyxl import load_workbook

    from tests.factories import citizen_id
    from yiyang.elders.models import Elder

    demo_city_build(seed=5, password=PASSWORD)
    worker = User.objects.select_related("division").get(username="community_worker")
    community = worker.division
    assert community is not None
    good = [citizen_id(community.code[:6], "19420101", n, female=True) for n in (1, 2)]
    bad = citizen_id(community.code[:6], "19420101", 3)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # a wrong check character
    path = tmp_path / "老人名单.csv"
    path.write_text(
        "姓名,身份证号码,所属社区,联系电话,居住情况\n"
        f"浏览器甲,{good[0]},{community.code},138 0013 8001,独居\n"
        f"浏览器乙,{good[1]},{community.name},+86 138-0013-8002,与配偶居住\n"
        f"浏览器丙,{bad},{community.code},13800138003,独居\n",
        encoding="utf-8-sig",
    )
    page = browser.new_page()
    try:
        log_in(page, live_server.url, "community_worker")
        page.goto(f"{live_server.url}/elders/import/")
        page.set_input_files("#import-form input[name=file]", str(path))
        page.click("#import-form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/elders/imports/**")
        page.wait_for_selector('#import-status[data-status="done"]', timeout=30_000)
        assert page.get_attribute("#import-progress", "value") == "100"
        counts = {
            name: page.inner_text(f"#count-{name}").strip()
            for name in ("processed", "created", "updated", "unchanged", "rejected")
        }
        assert counts == {
            "processed": "3",
            "created": "2",
            "updated": "0",
            "unchanged": "0",
            "rejected": "1",
        }
        assert "4" in page.inner_text("#rejected-rows tbody tr td:first-child")
        with page.expect_download() as download_info:
            page.click("#error-report")
        report = tmp_path / "report.xlsx"
        download_info.value.save_as(str(report))
        sheet = load_workbook(report).active
        assert sheet is not None
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert rows[0][0] == 4
        assert rows[0][1] == "身份证号码"
        assert rows[0][2] == bad
        assert "校验码" in str(rows[0][3]) or "check character" in str(rows[0][3])
        assert Elder.objects.filter(name__startswith="浏览器").count() == 2
        page.goto(f"{live_server.url}/elders/?q=浏览器")
        assert "浏览器甲" in page.content()
        assert "浏览器丙" not in page.content()
    finally:
        page.close()
