from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from yiyang.alerts.choices import AlertKind, AlertStatus, NotificationStatus, Outcome, Priority
from yiyang.alerts.models import Alert, Notification
from yiyang.core.filtersets import UtcDateTimeFilter


class AlertFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=AlertStatus.choices)
    priority = django_filters.TypedChoiceFilter(
        label=_("Priority"), choices=Priority.choices, coerce=int
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AlertKind.choices)
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=Outcome.choices)
    elder = django_filters.UUIDFilter(label=_("Elder"), field_name="elder__external_id")
    raised_after = UtcDateTimeFilter(
        label=_("Raised after"), field_name="raised_at", lookup_expr="gte"
    )
    raised_before = UtcDateTimeFilter(
        label=_("Raised before"), field_name="raised_at", lookup_expr="lt"
    )

    class Meta:
        model = Alert
        fields = ["status", "priority", "kind", "outcome", "elder", "raised_after", "raised_before"]


class NotificationFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=NotificationStatus.choices,
    )

    class Meta:
        model = Notification
        fields = ["status"]
