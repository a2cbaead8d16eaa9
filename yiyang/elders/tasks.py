"""Background work of the registry: running spreadsheet imports."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django_tasks import task

from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders import importing
from yiyang.elders.models import ImportJob

log = logging.getLogger(__name__)


def import_job_execute(job_id: int) -> None:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    actor = job.created_by if job.created_by is not None else SystemActor(Scope(division_prefix=""))
    importing.import_job_run(job=job, actor=actor)


def run_in_child(target: Callable[..., Any], *args: Any) -> int:
    """Run ``target(*args)`` in a forked child process and wait for it; returns its exit code.

    Python rarely gives freed memory back to the system, so a worker that parsed a large
    spreadsheet would stay large for the rest of its life; the child's memory goes back when
    it exits. The database connections are closed first so that the child opens its own."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()
    child = multiprocessing.get_context("fork").Process(
        target=_child_main, args=(target, *args), name="yiyang-import"
    )
    child.start()
    child.join()
    return child.exitcode if child.exitcode is not None else -1


def _child_main(target: Callable[..., Any], *args: Any) -> None:
    try:
        target(*args)
    finally:
        connections.close_all()


@task()
def import_job_task(job_id: int) -> None:
    if not settings.IMPORT_IN_CHILD_PROCESS:
        import_job_execute(job_id)
        return
    code = run_in_child(import_job_execute, job_id)
    if code != 0:
        log.error("import job %s: the import process ended with code %s", job_id, code)
        importing.import_job_mark_crashed(job_id=job_id)


def import_job_start(job: ImportJob) -> None:
    """Queue the job once the upload is committed (the worker must see it)."""
    transaction.on_commit(lambda: import_job_task.enqueue(job.pk))
