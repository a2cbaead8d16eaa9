"""Exports of the registry and the log of unmasked views and exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Permission, Role, request_actor, require_perm
from yiyang.core.web.csv import list_export_view
from yiyang.core.web.exports import export_start_response
from yiyang.core.web.lists import code_label, page_of
from yiyang.elders.choices import SensitiveField
from yiyang.elders.exports import ELDER_EXPORT
from yiyang.elders.filtersets import AccessLogFilterSet
from yiyang.elders.models import AccessLog, AccessLogEntry
from yiyang.elders.selectors import ACCESS_LOG_COLUMNS, access_log_list


@require_http_methods(["GET", "POST"])
@login_required
def elder_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered list as .xlsx, prepared in the background (``elders.exports``): POST
    queues it and opens the job page with its progress bar."""
    return export_start_response(
        request, kind=ELDER_EXPORT, params={"filters": dict(request.GET.lists())}
    )


def _role_label(role: str) -> str:
    return code_label(Role, role)


@login_required
def access_log_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_ACCESS_LOG)
    page = page_of(request, access_log_list(actor=actor, filters=request.GET))
    logs: list[AccessLog] = list(page.object_list)
    # The elder of single-elder entries, with one query for the page.
    single = [log.pk for log in logs if log.elder_count == 1]
    elder_of = dict(
        AccessLogEntry.objects.filter(log_id__in=single).values_list("log_id", "elder__external_id")
    )
    rows = [
        {
            "log": log,
            "role": _role_label(log.actor_role),
            "fields": [code_label(SensitiveField, f) for f in log.fields],
            "elder_id": elder_of.get(log.pk),
        }
        for log in logs
    ]
    return render(
        request,
        "elders/access_log.html",
        {"page": page, "rows": rows, "filterset": AccessLogFilterSet(request.GET)},
    )


# The log as CSV (exporting it is itself logged). Usernames and user agents are typed by
# others: every cell goes through the formula-injection rule of the CSV writer.
access_log_export_view = list_export_view(
    permission=Permission.VIEW_ACCESS_LOG,
    rows=access_log_list,
    filename="access-log.csv",
    columns=list(
        zip(
            ACCESS_LOG_COLUMNS,
            [
                "external_id",
                lambda log: log.at.isoformat(),
                "actor_username",
                "actor_role",
                "action",
                lambda log: " ".join(log.fields),
                "elder_count",
                "ip_address",
                "user_agent",
            ],
            strict=True,
        )
    ),
)
