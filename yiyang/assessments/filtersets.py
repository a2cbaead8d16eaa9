"""The assessment list's filters, shared by the page and the API."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.assessments.choices import AssessmentReason, AssessmentStatus
from yiyang.assessments.models import Assessment
from yiyang.core.models import Division
from yiyang.core.scoping import prefix_q


class AssessmentFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=AssessmentStatus.choices, label=_("status"), distinct=False
    )
    reason = django_filters.ChoiceFilter(choices=AssessmentReason.choices, label=_("reason"))
    assessor = django_filters.CharFilter(method="filter_assessor", label=_("assessor"))
    elder = django_filters.UUIDFilter(field_name="elder__external_id", label=_("elder"))
    division = django_filters.CharFilter(method="filter_division", label=_("division code"))
    final_level = django_filters.NumberFilter(label=_("final level"))
    q = django_filters.CharFilter(method="filter_q", label=_("elder's name"))

    class Meta:
        model = Assessment
        fields = ["status", "reason", "assessor", "elder", "division", "final_level", "q"]

    def filter_assessor(
        self, queryset: QuerySet[Assessment], name: str, value: str
    ) -> QuerySet[Assessment]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(assessor__username=value) | Q(second_assessor__username=value))

    def filter_division(
        self, queryset: QuerySet[Assessment], name: str, value: str
    ) -> QuerySet[Assessment]:
        """A division (external id or 12-digit code) and everything below it."""
        lookup = {"code": value} if value.isdigit() else {"external_id": value}
        try:
            division = Division.objects.filter(**lookup).only("code", "level").first()
        except (ValueError, TypeError, ValidationError):
            division = None
        if division is None:
            return queryset.none()
        return queryset.filter(prefix_q("division_code", division.code_prefix))

    def filter_q(
        self, queryset: QuerySet[Assessment], name: str, value: str
    ) -> QuerySet[Assessment]:
        text = value.strip()
        return queryset.filter(elder__name__contains=text) if text else queryset
