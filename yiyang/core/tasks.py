"""Background work of the core: building exports (``core.exports``)."""

from __future__ import annotations

import logging

from django_tasks import task

from yiyang.core import exports

log = logging.getLogger(__name__)


@task()
def export_job_task(job_id: int) -> None:
    try:
        exports.export_job_run(job_id)
    except Exception:  # the job page must not wait for ever: say it failed
        log.exception("export job %s: the worker could not run it", job_id)
        exports.export_job_mark_failed(job_id)
        raise
