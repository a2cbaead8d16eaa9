"""Pages of the roster: the list with filters, a person's record, roster import, the
conflicts to settle, and a caregiver's own record (phone-sized).

Views parse input and call one selector or service; scope and permission are theirs.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.downloads import XLSX, download_response
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.lists import page_of
from yiyang.core.web.pagination import CappedPaginator
from yiyang.core.web.uploads import upload_on_disk
from yiyang.elders.tabular import UnreadableFile
from yiyang.services.selectors import provider_get_for_actor, provider_queryset
from yiyang.workforce import services
from yiyang.workforce.filtersets import RosterFilterSet
from yiyang.workforce.selectors import (
    certificate_reminders,
    may_export_roster,
    person_get_for_actor,
    person_of_user,
    person_record,
    roster_conflicts,
    roster_list,
    workforce_figures,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ERRORS_SHOWN = 500


@login_required
def roster_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    data = request.GET.copy()
    data.setdefault("status", "current")
    filterset = RosterFilterSet(data, queryset=roster_list(actor=actor))
    rows = filterset.qs if filterset.is_valid() else roster_list(actor=actor).none()
    page = page_of(request, rows, paginator=CappedPaginator)
    return render(
        request,
        "workforce/roster.html",
        {
            "filter": filterset,
            "page": page,
            "today": timezone.localdate(),
            "conflicts": roster_conflicts(actor=actor)[:20],
            "reminders": certificate_reminders(actor=actor)[:50],
            "can_import": has_perm(actor, Permission.IMPORT_ROSTER),
            "can_export": may_export_roster(actor),
            "can_subsidies": has_perm(actor, Permission.VIEW_CAREGIVERS),
        },
    )


@login_required
def figures_view(request: HttpRequest) -> HttpResponse:
    """Turnover and its reasons, the skill-level mix, expiring certificates."""
    figures = workforce_figures(actor=request_actor(request), today=timezone.localdate())
    return render(request, "workforce/figures.html", figures)


@login_required
def person_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    person = person_get_for_actor(actor=actor, external_id=external_id)
    return render(
        request,
        "workforce/person.html",
        {
            "person": person,
            "today": timezone.localdate(),
            **person_record(person),
            "can_reveal": has_perm(actor, Permission.SEE_ID_NUMBERS),
        },
    )


@login_required
def my_record_view(request: HttpRequest) -> HttpResponse:
    """A caregiver's own record on the phone: certificates, hours, training, subsidies."""
    require_perm(request_actor(request), Permission.ATTEND_TRAINING)
    person = person_of_user(request.user)
    context: dict[str, Any] = {"person": person, "today": timezone.localdate()}
    if person is not None:
        context.update(person_record(person))
    return render(request, "workforce/me.html", context)


def _run_import(request: HttpRequest, upload: Any, provider: Any) -> HttpResponse | None:
    with upload_on_disk(upload) as path:
        try:
            result = services.roster_import(
                actor=request_actor(request),
                path=path,
                filename=upload.name,
                provider=provider,
                dry_run=bool(request.POST.get("dry_run")),
                all_or_nothing=bool(request.POST.get("all_or_nothing")),
            )
        except UnreadableFile as exc:
            messages.error(request, str(exc))
            return None
    if request.POST.get("report") and result.errors:
        return download_response(result.report_xlsx(), "roster-errors.xlsx", XLSX)
    return render(
        request,
        "workforce/import.html",
        {
            "result": result,
            "errors": result.errors[:ERRORS_SHOWN],
            "providers": provider_queryset(actor=request_actor(request)).order_by("name")[:500],
        },
    )


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.IMPORT_ROSTER)
    providers = provider_queryset(actor=actor).order_by("name")[:500]
    if request.method == "POST":
        upload = request.FILES.get("file")
        provider = None
        if request.POST.get("provider"):
            provider = provider_get_for_actor(actor=actor, external_id=request.POST["provider"])
        if upload is None:
            messages.error(request, _("Choose a file to upload."))
        elif (upload.size or 0) > MAX_UPLOAD_BYTES:
            messages.error(request, _("The file is larger than 20 MB."))
        else:
            try:
                response = _run_import(request, upload, provider)
            except PermissionDenied:
                messages.error(request, _("The provider is outside your jurisdiction."))
                response = None
            if response is not None:
                return response
    return render(request, "workforce/import.html", {"providers": providers})
