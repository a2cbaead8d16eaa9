"""Background exports (``core.exports``): the job is the requester's, scoped and audited as
the list is; its page shows progress and then the download; nobody else can download the
file; a failure says so plainly; files expire."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, TestCase
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import World, login
from tests.elders.test_pages import make
from tests.exporting import content, exported
from yiyang.core import exports
from yiyang.core.models import AuditEvent, ExportJob
from yiyang.elders.exports import ELDER_EXPORT
from yiyang.elders.sensitive import elder_id_number

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def _rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="elders.xlsx"'
    sheet = load_workbook(io.BytesIO(content(response)), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _start(client: Client, url: str = "/elders/export/") -> ExportJob:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    return ExportJob.objects.get(external_id=response["Location"].split("/")[2])


def test_a_district_officers_export_holds_only_their_district(world: World) -> None:
    inside = make(world, community="XA2a", name="区内")
    make(world, community="XB1a", name="区外")
    make(world, community="YA1a", name="城外")
    officer = login(Client(), world.user["district_officer"])

    job = _start(officer, "/elders/export/?status=active")
    rows = _rows(officer.get(f"/exports/{job.external_id}/download/"))

    assert [row[0] for row in rows[1:]] == ["区内"]
    assert rows[1][1] == elder_id_number(inside)
    job.refresh_from_db()
    assert (job.status, job.done_count, job.total_count, job.percent) == ("done", 1, 1, 100)
    assert job.created_by == world.user["district_officer"]
    assert job.params == {"filters": {"status": ["active"]}}
    audit = AuditEvent.objects.get(action="export")
    assert (audit.actor_username, audit.changes) == (
        "district_officer",
        {"filters": {"status": ["active"]}, "count": 1},
    )
    # The file is stored encrypted: the sheet's text is not on the disk.
    assert b"PK" not in Path(job.file.path).read_bytes()[:2]


def test_nobody_else_can_see_or_download_the_file(world: World) -> None:
    make(world, community="XA2a", name="区内")
    job = _start(login(Client(), world.user["district_officer"]))

    for other in ("city_admin", "auditor", "street_officer"):
        client = login(Client(), world.user[other])
        for suffix in ("", "progress/", "download/"):
            assert client.get(f"/exports/{job.external_id}/{suffix}").status_code == 404
        assert client.post(f"/exports/{job.external_id}/again/").status_code == 404
    assert Client().get(f"/exports/{job.external_id}/download/").status_code == 302  # log in


def test_a_role_that_may_not_export_cannot_start_one(world: World) -> None:
    worker = login(Client(), world.user["community_worker"])
    assert worker.post("/elders/export/").status_code == 403
    assert worker.get("/elders/export/").status_code == 403
    assert ExportJob.objects.count() == 0


def test_a_get_shows_the_button_and_starts_nothing(world: World) -> None:
    officer = login(Client(), world.user["district_officer"])
    response = officer.get("/elders/export/?tag=very_old")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'action="/elders/export/?tag=very_old"' in html and 'id="export-start"' in html
    assert ExportJob.objects.count() == 0


def test_the_job_page_polls_while_waiting_then_offers_the_download(
    world: World, settings: Any
) -> None:
    settings.TASKS = DUMMY_TASKS  # queued, not run: the page shows the waiting job
    make(world, community="XA2a", name="区内")
    officer = login(Client(), world.user["district_officer"])
    job = _start(officer)

    waiting = officer.get(f"/exports/{job.external_id}/").content.decode()
    assert f'hx-get="/exports/{job.external_id}/progress/"' in waiting
    assert 'id="export-progress" max="100" value="0"' in waiting
    assert officer.get(f"/exports/{job.external_id}/download/").status_code == 410

    exports.export_job_run(job.pk)
    fragment = officer.get(f"/exports/{job.external_id}/progress/").content.decode()
    assert "hx-get" not in fragment
    assert 'id="export-download"' in fragment and "data-auto-download" in fragment
    assert 'value="100"' in fragment
    # Opened later, the page offers the link without following it by itself.
    assert "data-auto-download" not in officer.get(f"/exports/{job.external_id}/").content.decode()


@pytest.fixture
def broken_kind() -> Iterator[str]:
    def build(**kwargs: Any) -> exports.ExportFile:
        kwargs["progress"](3, 10)
        raise RuntimeError("disk full")

    exports.export_kind_register(
        exports.ExportKind(code="test.broken", title="Broken", allowed=lambda a: True, build=build)
    )
    yield "test.broken"
    exports._KINDS.pop("test.broken")


def test_a_failed_export_says_so_and_offers_to_try_again(world: World, broken_kind: str) -> None:
    user = world.user["district_officer"]
    client = login(Client(), user)
    client.cookies["django_language"] = "zh-hans"
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = exports.export_job_create(actor=user, kind=broken_kind, params={})
    job.refresh_from_db()
    assert (job.status, job.failure, bool(job.file)) == ("failed", "error", False)

    html = client.get(f"/exports/{job.external_id}/").content.decode()
    assert "导出失败" in html
    assert "无法生成文件" in html and 'id="export-again"' in html
    assert "hx-get" not in html  # it stops polling
    assert client.get(f"/exports/{job.external_id}/download/").status_code == 410


def test_a_user_who_lost_the_right_gets_a_failed_job(world: World, settings: Any) -> None:
    settings.TASKS = DUMMY_TASKS
    officer = world.user["district_officer"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = exports.export_job_create(actor=officer, kind=ELDER_EXPORT, params={})
    officer.role = "community_worker"
    officer.save()
    exports.export_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.failure) == ("failed", "not_allowed")
    assert not AuditEvent.objects.filter(action="export").exists()


def test_files_expire(world: World) -> None:
    make(world, community="XA2a", name="区内")
    officer = login(Client(), world.user["district_officer"])
    job = _start(officer)
    job.refresh_from_db()
    path = Path(job.file.path)
    assert path.exists()
    assert job.finished_at is not None and job.expires_at is not None
    assert job.expires_at == job.finished_at + datetime.timedelta(hours=24)

    assert exports.export_jobs_purge(now=job.expires_at + datetime.timedelta(seconds=1)) == 1

    job.refresh_from_db()
    assert (job.status, bool(job.file), path.exists()) == ("expired", False, False)
    response = officer.get(f"/exports/{job.external_id}/download/")
    assert response.status_code == 410 and 'id="export-expired"' in response.content.decode()


def test_a_job_nobody_runs_is_reported_stalled(world: World, settings: Any) -> None:
    settings.TASKS = DUMMY_TASKS
    officer = world.user["district_officer"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = exports.export_job_create(actor=officer, kind=ELDER_EXPORT, params={})
    later = timezone.now() + datetime.timedelta(minutes=6)
    assert exports.export_job_is_stalled(job, now=later)
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=6)
    )
    html = login(Client(), officer).get(f"/exports/{job.external_id}/").content.decode()
    assert 'id="export-stalled"' in html and 'id="export-again"' in html


def test_the_roster_uses_the_same_mechanism(world: World) -> None:
    response = exported(login(Client(), world.user["city_admin"]), "/workforce/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="roster-')
    assert ExportJob.objects.get().kind == "workforce.roster"
