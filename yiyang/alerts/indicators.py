"""Alerts by kind and how fast the call centre answered them, against the 60 s / 180 s
targets (97.5% and 99% answered within them).

Alerts belong to the month they were raised in. As on the alert statistics page, an alert
not answered counts against both targets, and a technical alert that resolved itself before
anyone answered is not a call and counts neither way.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.alerts.choices import AlertKind, Outcome
from yiyang.alerts.models import Alert
from yiyang.core.dbfunctions import whole_seconds_between
from yiyang.core.indicator_figures import CountOf, ShareOf
from yiyang.core.indicators import (
    Category,
    IndicatorValue,
    Period,
    divisions_key,
    histograms_by_division,
    indicator,
    percentile,
    register_breakdown,
    scope_q,
    shared,
)
from yiyang.core.models import Division


def raised(period: Period) -> QuerySet[Alert]:
    return Alert.objects.filter(raised_at__gte=period.start_dt(), raised_at__lt=period.end_dt())


def calls(period: Period) -> QuerySet[Alert]:
    """Alerts that needed an answer (auto-resolved technical alerts left out)."""
    return raised(period).exclude(
        Q(outcome=Outcome.AUTO_RESOLVED) & Q(acknowledged_at__isnull=True)
    )


def answer_seconds(period: Period, divisions: Sequence[Division]) -> dict[int, Counter[int]]:
    """Answered calls by whole seconds from raising to acknowledging, a histogram per
    division: the database groups them (a city month is some 400,000 alerts, a few
    thousand distinct (community, seconds) pairs)."""
    rows = (
        calls(period)
        .filter(scope_q("division_code", divisions), acknowledged_at__isnull=False)
        .annotate(seconds=whole_seconds_between("raised_at", "acknowledged_at"))
        .values("division_code", "seconds")
        .annotate(n=Count("id"))
        .values_list("division_code", "seconds", "n")
    )
    return histograms_by_division(
        divisions, ((code, int(seconds), n) for code, seconds, n in rows if seconds is not None)
    )


indicator(
    code="alerts",
    name=_("Alerts raised"),
    unit="count",
    category=Category.ALERTS,
    order=90,
    direction="lower",
    definition=_("Alerts of every kind raised in the month."),
)(CountOf(raised))


register_breakdown(
    family="alerts",
    choices=AlertKind,
    records=raised,
    key_field="kind",
    code_field="division_code",
    name=_("Alerts:"),
    category=Category.ALERTS,
    order=240,
    definition=_("Alerts of this kind raised in the month:"),
)


def _within(seconds_setting: str) -> ShareOf:
    """Calls answered within the limit (read from the settings when computed) over calls."""

    def answered(period: Period) -> Q:
        limit = datetime.timedelta(seconds=getattr(settings, seconds_setting))
        return Q(acknowledged_at__lte=F("raised_at") + limit)

    return ShareOf(calls, answered)


indicator(
    code="alerts_answered_60s",
    name=_("Alerts answered within 60 s"),
    unit="percent",
    category=Category.ALERTS,
    order=91,
    headline=True,
    definition=_(
        "Alerts acknowledged by an operator within ALERT_ANSWER_TARGET_SECONDS (60 s) of "
        "being raised (numerator) divided by alerts that needed an answer (denominator). "
        "The target is 97.5%."
    ),
    default_target=lambda: Decimal("97.5"),
)(_within("ALERT_ANSWER_TARGET_SECONDS"))

indicator(
    code="alerts_answered_180s",
    name=_("Alerts answered within 180 s"),
    unit="percent",
    category=Category.ALERTS,
    order=92,
    definition=_(
        "Alerts acknowledged within ALERT_ANSWER_LIMIT_SECONDS (180 s) (numerator) divided "
        "by alerts that needed an answer (denominator). The target is 99%."
    ),
    default_target=lambda: Decimal(99),
)(_within("ALERT_ANSWER_LIMIT_SECONDS"))


def _answer_time(share: float) -> Any:
    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
        grouped = shared(
            ("answer_seconds", period, divisions_key(divisions)),
            lambda: answer_seconds(period, divisions),
        )
        result = {}
        for pk, answered in grouped.items():
            result[pk] = IndicatorValue(
                percentile(answered, share), None, Decimal(sum(answered.values()))
            )
        return result

    return compute


indicator(
    code="alerts_answer_median",
    name=_("Median time to answer an alert"),
    unit="seconds",
    category=Category.ALERTS,
    order=93,
    direction="lower",
    definition=_(
        "The median of the whole seconds from raising to acknowledging, over answered alerts."
    ),
    default_target=lambda: Decimal(settings.ALERT_ANSWER_TARGET_SECONDS),
)(_answer_time(0.5))

indicator(
    code="alerts_answer_p90",
    name=_("90th percentile of the time to answer"),
    unit="seconds",
    category=Category.ALERTS,
    order=94,
    direction="lower",
    definition=_(
        "Nine in ten answered alerts were acknowledged within this many seconds of being raised."
    ),
)(_answer_time(0.9))
