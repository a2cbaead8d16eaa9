"""Smart devices bound to elders and reporting, against the wearables target.

A device counts as bound in a month when one of its bindings was in force at the period's
end (or now, for the running month), where the bound elder lives. "Online" is what the
registry knows now: a bound device whose last report is within a day of the reference time
(the device keeps no history of being online, so for past months it is approximated by
having reported at all since the month began).
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_figures import CountOf, ShareOf
from yiyang.core.indicators import Category, Period, indicator
from yiyang.devices.choices import DeviceKind
from yiyang.devices.models import DeviceBinding

WEARABLE_KINDS = (DeviceKind.PENDANT, DeviceKind.WATCH)
ONLINE_WITHIN = datetime.timedelta(hours=24)


def bound(period: Period) -> QuerySet[DeviceBinding]:
    moment = min(period.end_dt(), timezone.now())
    return DeviceBinding.objects.filter(bound_at__lt=moment).filter(
        Q(unbound_at__isnull=True) | Q(unbound_at__gte=moment)
    )


def online(period: Period) -> Q:
    """Of the bound devices, those online: reported within the last day (for past months,
    since the month began)."""
    now = timezone.now()
    since = now - ONLINE_WITHIN if period.end_dt() > now else period.start_dt()
    return Q(device__last_seen_at__gte=since)


# Devices count where the elder they are bound to lives.
CODE = "elder__division_code"

indicator(
    code="devices_bound",
    name=_("Devices bound to elders"),
    unit="count",
    category=Category.DEVICES,
    order=80,
    definition=_("Smart devices of every kind bound to an elder at the month's end."),
)(CountOf(bound, code_field=CODE))

indicator(
    code="wearables_bound",
    name=_("Wearables bound to elders"),
    unit="count",
    category=Category.DEVICES,
    order=81,
    headline=True,
    definition=_(
        "SOS pendants and smart watches bound to an elder at the month's end, against the "
        "city's wearables target (e.g. 100,000)."
    ),
)(CountOf(lambda period: bound(period).filter(device__kind__in=WEARABLE_KINDS), code_field=CODE))

indicator(
    code="devices_online_share",
    name=_("Bound devices online"),
    unit="percent",
    category=Category.DEVICES,
    order=82,
    definition=_(
        "Bound devices that reported in the last 24 hours (numerator) divided by bound "
        "devices (denominator). For past months: devices that reported since the month began."
    ),
)(ShareOf(bound, online, code_field=CODE))
