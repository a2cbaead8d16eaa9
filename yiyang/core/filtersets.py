"""FilterSets shared by the API and the pages (one per list)."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.models import AuditEvent, Division


class UtcDateTimeFilter(django_filters.DateTimeFilter):
    """A time turned into UTC before it reaches the database: PostgreSQL refuses zone
    offsets beyond +-15:59, which a client may well send ("+21:31")."""

    def filter(self, qs: Any, value: Any) -> Any:
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError:
                return qs.none()
        return super().filter(qs, value)


class DivisionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    level = django_filters.ChoiceFilter(
        choices=DivisionLevel.choices, label=_("Level"), empty_label=_("All")
    )
    parent = django_filters.UUIDFilter(field_name="parent__external_id", label=_("Parent"))
    is_urban = django_filters.BooleanFilter(label=_("Urban"))

    class Meta:
        model = Division
        fields = ["q", "level", "parent", "is_urban"]

    def search(self, queryset: QuerySet[Division], name: str, value: str) -> QuerySet[Division]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


def object_types() -> list[tuple[str, str]]:
    """Every Yiyang model as (label, verbose name): people choose words, the filter gets codes."""
    from django.apps import apps
    from django.utils.functional import Promise

    found = [
        (model._meta.label_lower, str(model._meta.verbose_name))
        for model in apps.get_models()
        if model.__module__.startswith("yiyang.") and isinstance(model._meta.verbose_name, Promise)
    ]
    return sorted(found, key=lambda pair: pair[1])


class AuditEventFilterSet(django_filters.FilterSet):
    username = django_filters.CharFilter(field_name="actor_username", label=_("Username"))
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices, label=_("Action"), empty_label=_("All")
    )
    # Free text for the API and exports; the page offers the models by name (object_types).
    object_type = django_filters.CharFilter(label=_("Object type"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    since = UtcDateTimeFilter(field_name="at", lookup_expr="gte", label=_("Since"))
    until = UtcDateTimeFilter(field_name="at", lookup_expr="lt", label=_("Until"))

    class Meta:
        model = AuditEvent
        fields = ["username", "action", "object_type", "object_id", "since", "until"]
