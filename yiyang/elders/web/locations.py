"""Pages about where elders live: the data-quality list of elders without a usable location,
the map picker's lookup of an address in the register, and the register's import page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from yiyang.core import display
from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.selectors import division_queryset
from yiyang.core.web.lists import list_response
from yiyang.core.web.uploads import upload_on_disk
from yiyang.elders.address_import import ADDRESS_HEADERS, address_register_import
from yiyang.elders.choices import LocationSource
from yiyang.elders.geocoding import Geocoder
from yiyang.elders.selectors import elders_unlocated, elders_unlocated_count
from yiyang.elders.tabular import UnreadableFile


@require_GET
@login_required
def unlocated_list_view(request: HttpRequest) -> HttpResponse:
    """Elders of the user's jurisdiction whose home has no coordinates or only the
    community's centre, each with the link that fixes it (the form's map picker)."""
    actor = request_actor(request)
    approximate = request.GET.get("show") != "missing"
    elders = elders_unlocated(actor=actor, approximate=approximate).select_related("community")
    return list_response(
        request,
        "elders/unlocated_list.html",
        elders,
        {
            "counts": elders_unlocated_count(actor=actor),
            "approximate": approximate,
            "can_manage": has_perm(actor, Permission.MANAGE_ELDERS),
            "can_import": has_perm(actor, Permission.MANAGE_ADDRESS_REGISTER),
            "approximate_source": LocationSource.COMMUNITY,
        },
    )


@require_GET
@login_required
def locate_view(request: HttpRequest) -> JsonResponse:
    """Where the register puts an address of a community (the map picker's button): the
    point, where it came from and a sentence saying so. Nothing is written."""
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_ELDERS)
    community = get_or_404(
        division_queryset(actor=actor)
        .filter(level="community")
        .select_related("parent__parent__parent"),
        external_id=request.GET.get("community") or "",
    )
    address = str(request.GET.get("address") or "")[:200]
    found = Geocoder().locate(community, address)
    if found.source == LocationSource.REGISTER:
        message = _("Found in the address register: %(address)s.") % {"address": found.matched}
    elif found.source == LocationSource.COMMUNITY:
        message = _(
            "Not in the address register: the centre of %(community)s is used (approximate). "
            "Drag the marker to the home."
        ) % {"community": community.name}
    else:
        message = _("No location: give the address, or click the map at the home.")
    return JsonResponse(
        {
            "lat": None if found.lat is None else float(found.lat),
            "lng": None if found.lng is None else float(found.lng),
            "source": str(found.source),
            "message": message,
            "coordinates": display.coordinates(found.lat, found.lng)
            if found.lat is not None
            else "",
        }
    )


class AddressImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=gettext_lazy("An .xlsx or .csv file, one address per row."),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run (check only, write nothing)"), required=False
    )


@require_http_methods(["GET", "POST"])
@login_required
def address_import_view(request: HttpRequest) -> HttpResponse:
    """Upload the address register (city and district administrators): all rows or none."""
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_ADDRESS_REGISTER)
    form = AddressImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "headers": ADDRESS_HEADERS}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with upload_on_disk(upload) as path:
            try:
                context["result"] = address_register_import(
                    actor=actor,
                    path=path,
                    filename=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except UnreadableFile as exc:
                form.add_error("file", str(exc))
        context["dry_run"] = form.cleaned_data["dry_run"]
    status = 400 if form.errors or getattr(context.get("result"), "errors", None) else 200
    return render(request, "elders/address_import.html", context, status=status)
