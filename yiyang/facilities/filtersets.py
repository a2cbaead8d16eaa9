from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.models import Division
from yiyang.core.scoping import prefix_q
from yiyang.facilities.choices import FacilityKind, FacilityStatus
from yiyang.facilities.models import ConstructionProject, Facility


def _in_division(queryset: QuerySet[Any], value: Any) -> QuerySet[Any]:
    division = Division.objects.filter(external_id=value).only("code", "level").first()
    if division is None:
        return queryset.none()
    return queryset.filter(prefix_q("division_code", division.code_prefix))


class FacilityFilterSet(django_filters.FilterSet):
    """The facilities list's filters, for the page and the API alike."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.MultipleChoiceFilter(
        choices=FacilityKind.choices, label=_("Facility kind"), distinct=False
    )
    status = django_filters.MultipleChoiceFilter(
        choices=FacilityStatus.choices, label=_("Status"), distinct=False
    )
    division = django_filters.UUIDFilter(method="in_division", label=_("Division"))
    operator = django_filters.UUIDFilter(
        field_name="organisation__operator__external_id", label=_("Operator")
    )

    class Meta:
        model = Facility
        fields = ["q", "kind", "status", "division", "operator"]

    def search(self, queryset: QuerySet[Facility], name: str, value: str) -> QuerySet[Facility]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(organisation__name__icontains=value) | Q(organisation__address__icontains=value)
        )

    def in_division(
        self, queryset: QuerySet[Facility], name: str, value: Any
    ) -> QuerySet[Facility]:
        return _in_division(queryset, value)


class ProjectFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("Year"))
    division = django_filters.UUIDFilter(method="in_division", label=_("Division"))
    kind = django_filters.ChoiceFilter(
        field_name="facility__kind",
        choices=FacilityKind.choices,
        label=_("Facility kind"),
        empty_label=_("All"),
    )

    class Meta:
        model = ConstructionProject
        fields = ["year", "division", "kind"]

    def in_division(
        self, queryset: QuerySet[ConstructionProject], name: str, value: Any
    ) -> QuerySet[ConstructionProject]:
        return _in_division(queryset, value)
