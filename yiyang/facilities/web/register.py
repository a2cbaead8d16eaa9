"""Registering a facility on a page: an organisation of the jurisdiction becomes a station,
canteen, day-care centre, care home… with its status, dates, capacity and hours. The
service decides (scope, dates in order, one facility per organisation); the form parses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Actor, Permission, request_actor, require_perm
from yiyang.core.web.forms import DatePickerField, apply_errors
from yiyang.facilities import services
from yiyang.facilities.choices import FacilityKind, FacilityStatus, facility_kind_for
from yiyang.facilities.models import Facility
from yiyang.organisations.choices import PROVIDER_KINDS
from yiyang.organisations.models import Organisation

# A facility is registered as it is today: planned, being built or open (suspension and
# closure are later steps on its page).
REGISTER_STATUSES = (FacilityStatus.PLANNED, FacilityStatus.UNDER_CONSTRUCTION, FacilityStatus.OPEN)


def candidate_organisations(actor: Actor) -> QuerySet[Organisation]:
    """Organisations of the actor's jurisdiction that could be a facility and are not yet."""
    queryset = actor.scope.apply(
        Organisation.objects.filter(kind__in=PROVIDER_KINDS),
        division_code_field="division__code",
        organisation_field="id",
    )
    taken = Facility.objects.values("organisation_id")
    return queryset.exclude(pk__in=taken).select_related("division").order_by("name", "pk")


class OrganisationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.division.name}"


class FacilityRegisterForm(forms.Form):
    organisation = OrganisationChoice(
        queryset=Organisation.objects.none(),
        label=gettext_lazy("Organisation"),
        help_text=gettext_lazy("An organisation of your jurisdiction that is not a facility yet."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Facility kind"),
        choices=[("", "—"), *FacilityKind.choices],
        required=False,
        help_text=gettext_lazy("Leave empty to take it from the organisation's kind."),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[(s.value, s.label) for s in REGISTER_STATUSES],
        initial=FacilityStatus.OPEN,
    )
    planned_on = DatePickerField(label=gettext_lazy("Planned on"), required=False)
    construction_started_on = DatePickerField(
        label=gettext_lazy("Construction started on"), required=False
    )
    opened_on = DatePickerField(label=gettext_lazy("Opened on"), required=False)
    beds = forms.IntegerField(label=gettext_lazy("Beds"), required=False, min_value=0)
    day_places = forms.IntegerField(
        label=gettext_lazy("Day-care places"), required=False, min_value=0
    )
    meals_per_day = forms.IntegerField(
        label=gettext_lazy("Meals a day"), required=False, min_value=0
    )
    opening_hours = forms.CharField(
        label=gettext_lazy("Opening hours"), required=False, max_length=120
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = candidate_organisations(actor)


def _kind_of(form: FacilityRegisterForm) -> str:
    data = form.cleaned_data
    if data.get("kind"):
        return str(data["kind"])
    organisation = data["organisation"]
    kind = facility_kind_for(
        organisation_kind=organisation.kind,
        ownership=organisation.ownership,
        name=organisation.name,
    )
    if kind is None:
        raise ValidationError({"kind": _("Choose the kind of facility.")})
    return kind


@login_required
@require_http_methods(["GET", "POST"])
def facility_register_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_FACILITIES)
    form = FacilityRegisterForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {k: v for k, v in data.items() if k not in ("organisation", "kind", "status")}
        values = {k: v for k, v in values.items() if v not in (None, "")}
        try:
            facility = services.facility_register(
                actor=actor,
                organisation=data["organisation"],
                kind=_kind_of(form),
                status=data["status"],
                **values,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The facility is registered."))
            return redirect("facilities:detail", external_id=facility.external_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "facilities/facility_register.html", {"form": form}, status=status)
