"""The elder export through the real background worker: the page queues the job in the
database queue, ``yiyang db_worker`` (django-tasks' worker, the one the demo runs) builds the
file with progress to 100 %, only the requester downloads it, and the worker removes the
file when it expires, without anyone starting another export."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from tests.conftest import build_world, login
from tests.elders.test_pages import id_number, make
from tests.exporting import content
from yiyang.core import exports
from yiyang.core.models import ExportJob

pytestmark = pytest.mark.django_db(transaction=True)
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _work() -> None:
    """One run of the worker over everything due, as ``yiyang db_worker --batch``."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.fixture
def queue(settings: Any, tmp_path: Path) -> Any:
    settings.TASKS = DATABASE_QUEUE
    settings.MEDIA_ROOT = str(tmp_path)
    return settings


def test_the_worker_runs_the_elder_export_for_its_requester_only(queue: Any) -> None:
    world = build_world()
    for day, name in enumerate(("区内一", "区内二", "区内三"), start=11):
        make(
            world,
            community="XA2a",
            name=name,
            id_number=id_number(world.div["XA2a"].code, f"194003{day}"),
        )
    officer = login(Client(), world.user["district_officer"])
    started = officer.post("/elders/export/?status=active")
    assert started.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == "pending"
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("export_job_task") and queued.status == "READY"
    progress = officer.get(f"/exports/{job.external_id}/progress/")
    assert progress.status_code == 200

    _work()

    job.refresh_from_db()
    assert (job.status, job.done_count, job.total_count, job.percent) == ("done", 3, 3, 100)
    assert DBTaskResult.objects.get(pk=queued.pk).status == "SUCCESSFUL"
    response = officer.get(f"/exports/{job.external_id}/download/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(content(response)), read_only=True).worksheets[0]
    names = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == ["区内一", "区内三", "区内二"]
    for other in ("city_admin", "street_officer"):
        client = login(Client(), world.user[other])
        assert client.get(f"/exports/{job.external_id}/download/").status_code == 404


def test_the_worker_removes_the_file_when_it_expires(queue: Any) -> None:
    world = build_world()
    make(world, community="XA2a", name="区内")
    officer = login(Client(), world.user["district_officer"])
    assert officer.post("/elders/export/").status_code == 302
    _work()
    job = ExportJob.objects.get()
    path = Path(job.file.path)
    assert job.status == "done" and path.exists()
    # Finishing the export queued its clean-up for the moment the file expires.
    purge = DBTaskResult.objects.get(task_path__endswith="export_purge_task")
    assert purge.status == "READY"
    assert job.expires_at < purge.run_after <= job.expires_at + datetime.timedelta(minutes=1)
    _work()  # not due yet: the file stays
    job.refresh_from_db()
    assert job.status == "done" and path.exists()

    # A day passes (the job's expiry and its clean-up are moved back rather than waited for).
    past = timezone.now() - datetime.timedelta(seconds=1)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=past)
    DBTaskResult.objects.filter(pk=purge.pk).update(run_after=past)
    _work()

    job.refresh_from_db()
    assert (job.status, bool(job.file), path.exists()) == ("expired", False, False)
    assert DBTaskResult.objects.get(pk=purge.pk).status == "SUCCESSFUL"
    assert officer.get(f"/exports/{job.external_id}/download/").status_code == 410
    assert ExportJob.objects.count() == 1  # no other export was needed


def test_an_immediate_queue_cannot_defer_and_schedules_nothing(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert exports.export_purge_schedule(timezone.now()) is False
