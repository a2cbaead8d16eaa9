"""One FilterSet per list, shared by the API and the pages."""

from __future__ import annotations

import uuid

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.visits.choices import ReviewStatus, VisitStatus
from yiyang.visits.models import Visit


class VisitFilterSet(django_filters.FilterSet):
    date = django_filters.DateFilter(label=_("date"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("from"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("to"))
    status = django_filters.MultipleChoiceFilter(choices=VisitStatus.choices, label=_("status"))
    review_status = django_filters.ChoiceFilter(choices=ReviewStatus.choices, label=_("review"))
    elder = django_filters.UUIDFilter(field_name="elder__external_id", label=_("elder"))
    provider = django_filters.UUIDFilter(field_name="provider__external_id", label=_("provider"))
    caregiver = django_filters.UUIDFilter(method="filter_caregiver", label=_("caregiver"))
    late = django_filters.BooleanFilter(field_name="is_late", label=_("late"))

    class Meta:
        model = Visit
        fields: list[str] = []

    def filter_caregiver(
        self, queryset: QuerySet[Visit], name: str, value: uuid.UUID
    ) -> QuerySet[Visit]:
        return queryset.filter(caregiver__external_id=value) | queryset.filter(
            second_caregiver__external_id=value
        )
