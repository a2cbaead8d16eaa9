from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.selectors import division_queryset
from yiyang.core.web.csv import export_view_response
from yiyang.core.web.forms import apply_errors
from yiyang.organisations import services
from yiyang.organisations.filtersets import OrganisationFilterSet
from yiyang.organisations.models import Organisation
from yiyang.organisations.selectors import organisation_get_for_actor, organisation_list
from yiyang.organisations.services import ORGANISATION_FIELDS
from yiyang.organisations.web.forms import OrganisationForm

# The form's fields, the division given by its code and its name.
_DIVISION = ORGANISATION_FIELDS.index("division")
EXPORT_COLUMNS = [
    "external_id",
    *ORGANISATION_FIELDS[:_DIVISION],
    "division_code",
    *ORGANISATION_FIELDS[_DIVISION:],
]
# Cells that are not the attribute of the same name; ids are the public UUIDs.
_EXPORT_CELLS: dict[str, Callable[[Organisation], Any]] = {
    "external_id": lambda o: str(o.external_id),
    "division_code": lambda o: o.division.code,
    "division": lambda o: o.division.name,
    "operator": lambda o: str(o.operator.external_id) if o.operator else "",
}


def _export_row(organisation: Organisation) -> tuple[Any, ...]:
    return tuple(
        _EXPORT_CELLS[name](organisation) if name in _EXPORT_CELLS else getattr(organisation, name)
        for name in EXPORT_COLUMNS
    )


@login_required
def organisation_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisations = organisation_list(actor=actor, filters=request.GET)
    page = Paginator(organisations, 50).get_page(request.GET.get("page"))
    filterset = OrganisationFilterSet(request.GET)
    # Division choices for the filter: districts and streets in the actor's jurisdiction only.
    divisions = division_queryset(actor=actor).filter(level__in=["district", "street"])
    return render(
        request,
        "organisations/organisation_list.html",
        {
            "page": page,
            "filterset": filterset,
            "divisions": divisions,
            "query": request.GET.copy(),
            "can_create": has_perm(actor, Permission.CREATE_ORGANISATIONS),
            "can_export": has_perm(actor, Permission.EXPORT_DATA),
        },
    )


@login_required
def organisation_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    organisation = organisation_get_for_actor(actor=actor, external_id=external_id)
    operated = organisation_list(actor=actor).filter(operator=organisation)[:50]
    return render(
        request,
        "organisations/organisation_detail.html",
        {
            "organisation": organisation,
            "operated": operated,
            "can_manage": has_perm(actor, Permission.MANAGE_ORGANISATIONS),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def organisation_edit_view(request: HttpRequest, external_id: str | None = None) -> HttpResponse:
    actor = request_actor(request)
    require_perm(
        actor, Permission.MANAGE_ORGANISATIONS if external_id else Permission.CREATE_ORGANISATIONS
    )
    organisation = (
        organisation_get_for_actor(actor=actor, external_id=external_id) if external_id else None
    )
    form = OrganisationForm(request.POST or None, instance=organisation, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            if organisation is None:
                organisation = services.organisation_create(actor=actor, **form.cleaned_data)
            else:
                organisation = services.organisation_update(
                    actor=actor, organisation=organisation, **form.cleaned_data
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("organisations:detail", external_id=organisation.external_id)
    return render(
        request,
        "organisations/organisation_form.html",
        {"form": form, "organisation": organisation},
    )


@login_required
def organisation_export_view(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV; the export is audited."""
    return export_view_response(
        request,
        permission=Permission.EXPORT_DATA,
        queryset=organisation_list(actor=request_actor(request), filters=request.GET),
        filename="organisations.csv",
        header=EXPORT_COLUMNS,
        row=_export_row,
    )
