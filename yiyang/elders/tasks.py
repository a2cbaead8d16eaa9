"""Background work of the registry: running spreadsheet imports."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders import importing
from yiyang.elders.models import ImportJob


@task()
def import_job_task(job_id: int) -> None:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    actor = job.created_by if job.created_by is not None else SystemActor(Scope(division_prefix=""))
    importing.import_job_run(job=job, actor=actor)


def import_job_start(job: ImportJob) -> None:
    """Queue the job once the upload is committed (the worker must see it)."""
    transaction.on_commit(lambda: import_job_task.enqueue(job.pk))
