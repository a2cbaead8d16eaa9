"""Exports that run in the background: one mechanism for every large list.

An app registers an export kind (``export_kind_register``, from its ``exports.py``, which the
core app discovers at start-up): who may start it and how to build the file. A page starts a
job (``export_job_create``) for the logged-in user with the list's filters; the worker
(django-tasks' database queue, ``export_job_task``) builds the file as that user, so the export
holds exactly what their list shows and is audited as before; the builder reports progress,
which the job page polls. The file is stored encrypted, only its requester may download it,
and it is deleted when it expires (``EXPORT_KEEP_HOURS``): each finished export queues a
clean-up task for the worker at its expiry (``export_purge_task``), and every new export
purges on the way too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django_tasks import task

from yiyang.core import crypto
from yiyang.core.choices import ExportFailure, ExportStatus
from yiyang.core.models import ExportJob
from yiyang.core.permissions import Actor, actor_user

log = logging.getLogger(__name__)

# A job that has not moved for this long lost its worker (or none is running).
STALLED_AFTER = timedelta(minutes=5)
# A file's clean-up runs this long after it expires (the expiry itself is exact).
PURGE_MARGIN = timedelta(seconds=5)
# Progress is written at most this often (seconds): each write is a small UPDATE.
PROGRESS_EVERY = 0.5


class Progress(Protocol):
    def __call__(self, done: int, total: int | None = None) -> None: ...


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    content_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportKind:
    """One export: its title on the job page, who may start it (``allowed(actor)``), and
    ``build(actor=, params=, progress=)``, which checks, audits and returns the file."""

    code: str
    title: str | Promise
    allowed: Callable[[Actor], bool]
    build: Callable[..., ExportFile]
    back_url: str = ""  # the URL name of the list the export came from


_KINDS: dict[str, ExportKind] = {}


def export_kind_register(kind: ExportKind) -> ExportKind:
    _KINDS[kind.code] = kind
    return kind


def export_kind(code: str) -> ExportKind | None:
    return _KINDS.get(code)


def export_check(actor: Actor, code: str) -> ExportKind:
    """The kind, when the actor may start it (403 otherwise: the same answer for everyone)."""
    kind = _KINDS.get(code)
    if kind is None or not kind.allowed(actor):
        raise PermissionDenied("export")
    return kind


# --- Writes -------------------------------------------------------------------------------


def export_job_create(*, actor: Actor, kind: str, params: dict[str, Any]) -> ExportJob:
    """Queue an export of ``kind`` with the list's ``params`` for the actor. The worker
    starts it once the job is committed; expired files are removed on the way."""
    export_check(actor, kind)
    export_jobs_purge()
    job = ExportJob.objects.create(created_by=actor_user(actor), kind=kind, params=params)
    transaction.on_commit(lambda: export_job_task.enqueue(job.pk))
    return job


def _progress_writer(job: ExportJob) -> Progress:
    last = [0.0]

    def progress(done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if total is not None:
            job.total_count = total
        elif now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        job.done_count = done
        ExportJob.objects.filter(pk=job.pk).update(
            done_count=done, total_count=job.total_count, heartbeat_at=timezone.now()
        )

    return progress


def _finish(job: ExportJob, status: str, failure: str = "") -> None:
    job.status, job.failure, job.finished_at = status, failure, timezone.now()
    if status == ExportStatus.DONE:
        job.expires_at = job.finished_at + timedelta(hours=settings.EXPORT_KEEP_HOURS)
    job.save(
        update_fields=[
            "status",
            "failure",
            "finished_at",
            "file",
            "filename",
            "done_count",
            "expires_at",
            "updated_at",
        ]
    )


def export_job_run(job_id: int) -> ExportJob:
    """Build the file of a queued job as the user who asked for it (their role and scope
    today: a user who lost the right to export gets a failed job, not a file)."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in (ExportStatus.PENDING, ExportStatus.RUNNING):
        return job
    actor = job.created_by
    kind = _KINDS.get(job.kind)
    if kind is None:
        _finish(job, ExportStatus.FAILED, ExportFailure.UNKNOWN_KIND)
        return job
    if not (actor.is_active and kind.allowed(actor)):
        _finish(job, ExportStatus.FAILED, ExportFailure.NOT_ALLOWED)
        return job
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    job.status = ExportStatus.RUNNING
    try:
        result = kind.build(actor=actor, params=job.params, progress=_progress_writer(job))
    except PermissionDenied:
        _finish(job, ExportStatus.FAILED, ExportFailure.NOT_ALLOWED)
        return job
    except Exception:
        log.exception("export job %s (%s) failed", job.external_id, job.kind)
        _finish(job, ExportStatus.FAILED, ExportFailure.ERROR)
        return job
    job.file.save(
        f"{job.external_id}.bin", ContentFile(crypto.encrypt_bytes(result.content)), save=False
    )
    job.filename = result.filename
    job.done_count = job.total_count or job.done_count
    _finish(job, ExportStatus.DONE)
    expires_at = job.expires_at
    if expires_at is not None:
        transaction.on_commit(lambda: export_purge_schedule(expires_at))
    return job


def export_job_mark_failed(job_id: int) -> None:
    """The worker could not run the job at all (it crashed): say so on the job page."""
    ExportJob.objects.filter(
        pk=job_id, status__in=[ExportStatus.PENDING, ExportStatus.RUNNING]
    ).update(status=ExportStatus.FAILED, failure=ExportFailure.ERROR, finished_at=timezone.now())


def export_jobs_purge(*, now: Any = None) -> int:
    """Delete the files of expired exports (the job stays, marked expired). Returns how many."""
    now = now or timezone.now()
    expired = list(ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now))
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.status = ExportStatus.EXPIRED
        job.save(update_fields=["file", "status", "updated_at"])
    return len(expired)


def export_purge_schedule(at: Any) -> bool:
    """Ask the worker to remove expired files at ``at`` (when a file expires), so that they
    go on time even when nobody starts another export. A queue that cannot wait (the
    immediate one of the tests) is skipped: the next export or a run of the purge removes
    them then. Returns whether the purge was queued."""
    if not export_purge_task.get_backend().supports_defer:
        return False
    export_purge_task.using(run_after=at + PURGE_MARGIN).enqueue()
    return True


@task()
def export_purge_task() -> int:
    """The worker's periodic clean-up: delete the files of expired exports."""
    return export_jobs_purge()


@task()
def export_job_task(job_id: int) -> None:
    """The worker's entry: build the job's file (django-tasks' database queue)."""
    try:
        export_job_run(job_id)
    except Exception:  # the job page must not wait for ever: say it failed
        log.exception("export job %s: the worker could not run it", job_id)
        export_job_mark_failed(job_id)
        raise


# --- Reads --------------------------------------------------------------------------------


def export_job_get_for_actor(*, actor: Actor, external_id: Any) -> ExportJob:
    """The actor's own job; anyone else's is a 404, whatever their role."""
    job = ExportJob.objects.filter(external_id=external_id, created_by_id=actor.pk).first()
    if job is None:
        raise Http404("export")
    return job


def export_job_is_stalled(job: ExportJob, *, now: Any = None) -> bool:
    """Waiting or running, but nothing has moved for a while: no worker is doing it."""
    if job.status not in (ExportStatus.PENDING, ExportStatus.RUNNING):
        return False
    last = job.heartbeat_at or job.created_at
    return last is not None and (now or timezone.now()) - last > STALLED_AFTER


def export_job_file(*, actor: Actor, job: ExportJob) -> ExportFile | None:
    """The finished file for its requester; None when it is not ready or has expired."""
    if job.created_by_id != actor.pk:
        raise Http404("export")
    if job.status != ExportStatus.DONE or not job.file:
        return None
    if job.expires_at is not None and job.expires_at <= timezone.now():
        return None
    with job.file.open("rb") as handle:
        content = crypto.decrypt_bytes(handle.read())
    return ExportFile(filename=job.filename, content=content)
