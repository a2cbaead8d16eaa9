from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.alerts.choices import AlertKind, AlertStatus, Priority
from yiyang.alerts.models import Alert, Notification


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time turned into UTC before it reaches the database: PostgreSQL refuses
    zone offsets beyond +-15:59, which a client may well send ("+21:31")."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError:
                return qs.none()
        return super().filter(qs, value)


class AlertFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=AlertStatus.choices)
    priority = django_filters.TypedChoiceFilter(
        label=_("Priority"), choices=Priority.choices, coerce=int
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AlertKind.choices)
    elder = django_filters.UUIDFilter(label=_("Elder"), field_name="elder__external_id")
    raised_after = UtcDateTimeFilter(
        label=_("Raised after"), field_name="raised_at", lookup_expr="gte"
    )
    raised_before = UtcDateTimeFilter(
        label=_("Raised before"), field_name="raised_at", lookup_expr="lt"
    )

    class Meta:
        model = Alert
        fields = ["status", "priority", "kind", "elder", "raised_after", "raised_before"]


class NotificationFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            ("pending", _("Pending")),
            ("sent", _("Sent")),
            ("failed", _("Failed")),
        ],
    )

    class Meta:
        model = Notification
        fields = ["status"]
