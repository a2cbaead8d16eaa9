from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.models import Division
from yiyang.organisations.choices import OrganisationKind, OrganisationStatus, Ownership
from yiyang.organisations.models import Organisation


class OrganisationFilterSet(django_filters.FilterSet):
    """The organisations list's filters, for the page and the API alike."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    # No join multiplies rows here, so no DISTINCT (it would sort the whole result).
    kind = django_filters.MultipleChoiceFilter(
        choices=OrganisationKind.choices, label=_("Kind"), distinct=False
    )
    status = django_filters.ChoiceFilter(
        choices=OrganisationStatus.choices, label=_("Status"), empty_label=_("All")
    )
    ownership = django_filters.ChoiceFilter(
        choices=Ownership.choices, label=_("Ownership"), empty_label=_("All")
    )
    division = django_filters.UUIDFilter(method="in_division", label=_("Division"))
    operator = django_filters.UUIDFilter(field_name="operator__external_id", label=_("Operator"))

    class Meta:
        model = Organisation
        fields = ["q", "kind", "status", "ownership", "division", "operator"]

    def search(
        self, queryset: QuerySet[Organisation], name: str, value: str
    ) -> QuerySet[Organisation]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(address__icontains=value) | Q(licence_number__iexact=value)
        )

    def in_division(
        self, queryset: QuerySet[Organisation], name: str, value: Any
    ) -> QuerySet[Organisation]:
        """The division's whole subtree. The queryset is already scoped, so a division
        outside the actor's jurisdiction simply finds nothing."""
        division = Division.objects.filter(external_id=value).only("code", "level").first()
        if division is None:
            return queryset.none()
        return queryset.filter(division__code__startswith=division.code_prefix)
