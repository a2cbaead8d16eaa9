"""Pages of background exports (``core.exports``): starting one from a list, its job page
with a progress bar that htmx polls, and the download (only for the user who asked)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yiyang.core import exports
from yiyang.core.choices import ExportFailure, ExportStatus
from yiyang.core.display import choice_label
from yiyang.core.downloads import download_response
from yiyang.core.models import ExportJob
from yiyang.core.permissions import request_actor


def export_start_response(
    request: HttpRequest, *, kind: str, params: dict[str, Any]
) -> HttpResponse:
    """What a list's export URL answers: POST queues the job and opens its page; GET (an old
    link or bookmark) shows a page with the button that does it, never starting on its own."""
    actor = request_actor(request)
    export = exports.export_check(actor, kind)
    if request.method == "POST":
        job = exports.export_job_create(actor=actor, kind=kind, params=params)
        return redirect("exports:detail", external_id=job.external_id)
    return render(
        request,
        "core/export_start.html",
        {"export": export, "action": request.get_full_path()},
    )


def _context(job: ExportJob) -> dict[str, Any]:
    kind = exports.export_kind(job.kind)
    return {
        "job": job,
        "title": kind.title if kind else "",
        "back_url": kind.back_url if kind else "",
        "polling": job.status in (ExportStatus.PENDING, ExportStatus.RUNNING),
        "stalled": exports.export_job_is_stalled(job),
        "failure": choice_label(ExportFailure, job.failure) if job.failure else "",
    }


@login_required
def export_job_view(request: HttpRequest, external_id: str) -> HttpResponse:
    job = exports.export_job_get_for_actor(actor=request_actor(request), external_id=external_id)
    return render(request, "core/export_job.html", _context(job))


@never_cache
@login_required
def export_progress_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The fragment htmx polls while the job runs; once done it carries the download link,
    which page.js follows once (``data-auto-download``)."""
    job = exports.export_job_get_for_actor(actor=request_actor(request), external_id=external_id)
    return render(request, "core/_export_progress.html", {**_context(job), "just_finished": True})


@never_cache
@login_required
def export_download_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    job = exports.export_job_get_for_actor(actor=actor, external_id=external_id)
    found = exports.export_job_file(actor=actor, job=job)
    if found is None:  # not ready, failed or expired: the job page says which
        return render(request, "core/export_job.html", _context(job), status=410)
    response = download_response(found.content, found.filename, found.content_type)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def export_again_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Queue the same export again (it failed, stalled or expired)."""
    actor = request_actor(request)
    job = exports.export_job_get_for_actor(actor=actor, external_id=external_id)
    again = exports.export_job_create(actor=actor, kind=job.kind, params=job.params)
    return redirect("exports:detail", external_id=again.external_id)
