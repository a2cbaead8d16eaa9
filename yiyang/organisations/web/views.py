from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.selectors import division_queryset
from yiyang.core.web.csv import Column, list_export_view
from yiyang.core.web.lists import list_response
from yiyang.core.web.saving import edit_response
from yiyang.organisations import services
from yiyang.organisations.filtersets import OrganisationFilterSet
from yiyang.organisations.selectors import organisation_get_for_actor, organisation_list
from yiyang.organisations.services import ORGANISATION_FIELDS
from yiyang.organisations.web.forms import OrganisationForm


@login_required
def organisation_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisations = organisation_list(actor=actor, filters=request.GET)
    filterset = OrganisationFilterSet(request.GET)
    # Division choices for the filter: districts and streets in the actor's jurisdiction only.
    divisions = division_queryset(actor=actor).filter(level__in=["district", "street"])
    return list_response(
        request,
        "organisations/organisation_list.html",
        organisations,
        {
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
    if organisation is None:
        write = partial(services.organisation_create, actor=actor)
    else:
        write = partial(services.organisation_update, actor=actor, organisation=organisation)
    return edit_response(
        request,
        form,
        write,
        detail="organisations:detail",
        template="organisations/organisation_form.html",
        context={"organisation": organisation},
    )


# The export's columns: the form's fields, the division given by its code and its name;
# ids are the public UUIDs.
_DIVISION = ORGANISATION_FIELDS.index("division")
_CELLS: dict[str, Column] = {
    "division": ("division", "division.name"),
    "operator": ("operator", "operator.external_id"),
}
# The filtered list as CSV; the export is audited.
organisation_export_view = list_export_view(
    permission=Permission.EXPORT_DATA,
    rows=organisation_list,
    filename="organisations.csv",
    columns=[
        "external_id",
        *ORGANISATION_FIELDS[:_DIVISION],
        ("division_code", "division.code"),
        *(_CELLS.get(name, name) for name in ORGANISATION_FIELDS[_DIVISION:]),
    ],
)
