"""The roster's filters, shared by the page and the API (one FilterSet per list)."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.scoping import prefix_q
from yiyang.workforce.choices import Education, SkillLevel
from yiyang.workforce.identity import id_hash

STATUS_CHOICES = (("current", _("Employed")), ("left", _("Left")), ("all", _("All")))
EXPIRING_DAYS = 30


class RosterFilterSet(django_filters.FilterSet):
    """Filters over employments (one row per person and employer)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Name or ID number"))
    provider = django_filters.UUIDFilter(field_name="provider__external_id", label=_("Employer"))
    division = django_filters.CharFilter(method="filter_division", label=_("Division code"))
    skill_level = django_filters.ChoiceFilter(
        field_name="person__skill_level", choices=SkillLevel.choices, label=_("Skill level")
    )
    education = django_filters.ChoiceFilter(
        field_name="person__education", choices=Education.choices, label=_("Education")
    )
    status = django_filters.ChoiceFilter(
        method="filter_status", choices=STATUS_CHOICES, empty_label=None, label=_("Employment")
    )
    expiring = django_filters.BooleanFilter(
        method="filter_expiring", label=_("A certificate expires within 30 days")
    )

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = "".join(value.split())
        if not text:
            return queryset
        if len(text) in (15, 18) and text[:14].isdigit():
            try:
                number = parse_citizen_id(text).number
            except IdNumberError:
                return queryset.none()
            return queryset.filter(person__id_number_hash=id_hash(number))
        return queryset.filter(person__name__contains=value.strip())

    def filter_division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        code = value.strip()
        if not code.isdigit() or len(code) != 12:
            return queryset.none()
        prefix = code.rstrip("0") or code
        # Whole levels only (4, 6, 9 or 12 digits), as every division prefix is.
        length = next(n for n in (4, 6, 9, 12) if n >= len(prefix))
        return queryset.filter(prefix_q("provider__division__code", code[:length]))

    def filter_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "left":
            return queryset.filter(left_on__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(left_on__isnull=True)

    def filter_expiring(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        if not value:
            return queryset
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=EXPIRING_DAYS)
        return queryset.filter(
            Q(caregiver__certificates__expires_on__gte=today)
            & Q(caregiver__certificates__expires_on__lte=soon)
        ).distinct()
