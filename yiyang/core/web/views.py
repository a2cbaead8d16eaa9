from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from yiyang.core import services
from yiyang.core.filtersets import AuditEventFilterSet, DivisionFilterSet, object_types
from yiyang.core.models import Division
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.selectors import (
    audit_event_list,
    division_ancestors,
    division_children,
    division_get_for_actor,
    division_list,
    division_queryset,
    division_roots,
)
from yiyang.core.web.csv import list_export_view
from yiyang.core.web.forms import ServiceValidatedModelForm, limit_choices
from yiyang.core.web.lists import list_response, page_of
from yiyang.core.web.saving import edit_response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the database's status, 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse(
            {"status": "error", "database": "unreachable", "error": exc.__class__.__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


@login_required
def division_tree_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    query = request.GET.get("q", "").strip()
    context: dict[str, Any] = {
        "q": query,
        "can_manage": has_perm(actor, Permission.MANAGE_DIVISIONS),
        "can_export": has_perm(actor, Permission.EXPORT_DATA),
    }
    if query or request.GET.get("level"):
        results = division_list(actor=actor, filters=request.GET)
        context["page"] = page_of(request, results)
        context["filterset"] = DivisionFilterSet(request.GET)
    else:
        roots = list(division_roots(actor=actor))
        context["roots"] = [
            {"division": root, "children": list(division_children(actor=actor, division=root))}
            for root in roots
        ]
    return render(request, "core/division_tree.html", context)


@login_required
def division_children_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The next level of the tree, loaded on demand (htmx)."""
    actor = request_actor(request)
    division = division_get_for_actor(actor=actor, external_id=external_id)
    children = division_children(actor=actor, division=division)
    return render(request, "core/_division_children.html", {"children": children})


@login_required
def division_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    division = division_get_for_actor(actor=actor, external_id=external_id)
    return render(
        request,
        "core/division_detail.html",
        {
            "division": division,
            "ancestors": [
                a for a in division_ancestors(division) if actor.scope.covers_division_code(a.code)
            ],
            "children": division_children(actor=actor, division=division),
            "can_manage": has_perm(actor, Permission.MANAGE_DIVISIONS),
        },
    )


class DivisionForm(ServiceValidatedModelForm):
    class Meta:
        model = Division
        fields = list(services.DIVISION_EDITABLE_FIELDS)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "parent", division_queryset(actor=actor).exclude(level="community"))
        self.fields["code"].widget.attrs.update({"inputmode": "numeric", "pattern": r"\d{12}"})


@require_http_methods(["GET", "POST"])
@login_required
def division_edit_view(request: HttpRequest, external_id: str | None = None) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_DIVISIONS)
    division = division_get_for_actor(actor=actor, external_id=external_id) if external_id else None
    initial = {}
    if division is None and request.GET.get("parent"):
        parent = division_get_for_actor(actor=actor, external_id=request.GET["parent"])
        initial = {"parent": parent, "is_urban": parent.is_urban}
    form = DivisionForm(request.POST or None, instance=division, actor=actor, initial=initial)
    if division is None:
        write = partial(services.division_create, actor=actor)
    else:
        write = partial(services.division_update, actor=actor, division=division)
    return edit_response(
        request,
        form,
        write,
        detail="divisions:detail",
        template="core/division_form.html",
        context={"division": division},
    )


# Divisions in scope (filtered like the search) as CSV; the export is audited.
division_export_view = list_export_view(
    permission=Permission.EXPORT_DATA,
    rows=division_list,
    filename="divisions.csv",
    columns=[
        "external_id",
        "code",
        "name",
        "level",
        ("parent_code", "parent.code"),
        ("urban_rural", lambda d: "urban" if d.is_urban else "rural"),
        "population_60_plus",
        "centroid_lat",
        "centroid_lng",
    ],
)


@login_required
def audit_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    events = audit_event_list(actor=actor, filters=request.GET)
    return list_response(
        request,
        "core/audit_list.html",
        events,
        {
            "filterset": AuditEventFilterSet(request.GET),
            "object_types": object_types(),
        },
    )


# The filtered audit log as CSV; exporting it is itself audited.
audit_export_view = list_export_view(
    permission=Permission.VIEW_AUDIT_LOG,
    rows=audit_event_list,
    filename="audit-log.csv",
    columns=[
        ("at", lambda e: e.at.isoformat()),
        ("username", "actor_username"),
        "action",
        "object_type",
        "object_id",
        ("object", "object_repr"),
        "ip_address",
        "changes",
    ],
)
