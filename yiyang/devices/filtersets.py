from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.devices.choices import DeviceKind, DeviceStatus
from yiyang.devices.models import Device


class DeviceFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=DeviceKind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=DeviceStatus.choices)
    vendor = django_filters.CharFilter(label=_("Vendor"))
    elder = django_filters.UUIDFilter(label=_("Elder"), field_name="elder__external_id")
    q = django_filters.CharFilter(label=_("Serial or IMEI"), method="search")

    class Meta:
        model = Device
        fields = ["kind", "status", "vendor", "elder", "q"]

    def search(self, queryset: QuerySet[Device], name: str, value: str) -> QuerySet[Device]:
        text = value.strip()
        return queryset.filter(Q(serial__icontains=text) | Q(imei=text)) if text else queryset
