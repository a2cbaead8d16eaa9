"""Spreadsheet imports of elders: upload, progress, resume, the report of rejected rows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yiyang.core.downloads import XLSX, download_response
from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.web.saving import form_response
from yiyang.elders import importing, tasks
from yiyang.elders.choices import ImportStatus
from yiyang.elders.models import ImportJob
from yiyang.elders.selectors import import_job_get_for_actor, import_job_list
from yiyang.elders.web.forms import ImportForm

REJECTED_ROWS_SHOWN = 20


@require_http_methods(["GET", "POST"])
@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.IMPORT_ELDERS)
    form = ImportForm(request.POST or None, request.FILES or None)

    def create(file: Any, dry_run: bool) -> ImportJob:
        return importing.import_job_create(
            actor=actor, filename=file.name, content=file.read(), dry_run=dry_run
        )

    def started(job: ImportJob) -> HttpResponse:
        tasks.import_job_start(job)
        return redirect("elders:import-job", external_id=job.external_id)

    return form_response(
        request,
        form,
        create,
        None,
        done=started,
        again=lambda: render(
            request,
            "elders/import.html",
            {"form": form, "jobs": import_job_list(actor=actor)[:20]},
        ),
    )


def _progress_context(job: ImportJob) -> dict[str, Any]:
    finished = job.status in (ImportStatus.DONE, ImportStatus.FAILED)
    return {
        "job": job,
        "polling": not finished,
        "rejected_rows": importing.import_job_errors(job)[:REJECTED_ROWS_SHOWN]
        if finished and job.rejected_count
        else [],
        "has_report": bool(job.rejected_count or job.message),
    }


@login_required
def import_job_view(request: HttpRequest, external_id: str) -> HttpResponse:
    job = import_job_get_for_actor(actor=request_actor(request), external_id=external_id)
    return render(request, "elders/import_job.html", _progress_context(job))


@require_POST
@login_required
def import_resume_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Queue a stalled job again: it resumes after its last committed chunk."""
    job = import_job_get_for_actor(actor=request_actor(request), external_id=external_id)
    if job.is_stalled:
        tasks.import_job_start(job)
        messages.success(request, _("The import was queued again; it resumes where it stopped."))
    return redirect("elders:import-job", external_id=job.external_id)


@never_cache
@login_required
def import_progress_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The progress fragment htmx polls while the job runs."""
    job = import_job_get_for_actor(actor=request_actor(request), external_id=external_id)
    return render(request, "elders/_import_progress.html", _progress_context(job))


@login_required
def import_report_view(request: HttpRequest, external_id: str) -> HttpResponse:
    job = import_job_get_for_actor(actor=request_actor(request), external_id=external_id)
    name = f"import-{job.external_id}-errors.xlsx"
    return download_response(importing.error_report_xlsx(job), name, XLSX)
