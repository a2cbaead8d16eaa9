"""The elder export in a real browser: the list's button queues the job, its page shows a
progress bar that follows the job, and the file downloads by itself when ready."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import build_world
from tests.elders.test_pages import id_number, make
from yiyang.core import exports
from yiyang.core.models import ExportJob

PASSWORD = "Browser-export-2026"
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_elder_export_shows_progress_and_downloads(
    live_server: Any, browser: Any, settings: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    # The job is queued but not run by the page's request, so the test can show each stage.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)
    world = build_world()
    for day, name in enumerate(("区内一", "区内二", "区内三"), start=11):
        code = world.div["XA2a"].code
        make(world, community="XA2a", name=name, id_number=id_number(code, f"194003{day}"))
    make(world, community="YA1a", name="城外")
    officer = world.user["district_officer"]
    officer.set_password(PASSWORD)
    officer.save()

    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        base = live_server.url
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", officer.username)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/elders/?status=active")
        page.click("#export-link")
        page.wait_for_url(f"{base}/exports/*/")
        job = ExportJob.objects.get()
        assert page.inner_text("#export-status") == "等待开始"
        assert page.get_attribute("#export-progress", "value") == "0"

        # The worker takes it and gets a third of the way: the bar follows without a reload.
        ExportJob.objects.filter(pk=job.pk).update(status="running", done_count=1, total_count=3)
        expect(page.locator("#export-percent")).to_have_text("33%", timeout=10000)
        assert page.inner_text("#export-status") == "正在生成文件"
        assert page.get_attribute("#export-progress", "value") == "33"

        with page.expect_download(timeout=15000) as started:
            exports.export_job_run(job.pk)  # the worker finishes; the page downloads by itself
        download = started.value
        assert download.suggested_filename == "elders.xlsx"
        sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets[0]
        names = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
        assert names == ["区内一", "区内三", "区内二"]
        assert page.inner_text("#export-status") == "可以下载"
        assert page.is_visible("#export-download")
    finally:
        context.close()
