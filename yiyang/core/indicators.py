"""The indicator registry: what the city measures, defined once, computed for many divisions.

Each app contributes its indicators in ``yiyang/<app>/indicators.py`` with :func:`register`
(discovered in ``CoreConfig.ready`` the way Django apps contribute system checks), so that a
later capability's indicators appear on the dashboard, in the API, the snapshots and the
monthly report without touching any of them.

An indicator's ``compute(period, divisions)`` answers for many divisions at once: division
codes are hierarchical (GB/T 2260), so one grouped query by record code, rolled up by code
prefix in Python, gives every district, street or community in a single pass.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import CODE_PREFIX_LENGTH
from yiyang.core.scoping import prefix_q

if TYPE_CHECKING:
    from yiyang.core.models import Division


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District / county")
    STREET = "street", _("Street / township")
    COMMUNITY = "community", _("Community / village")
    PROVIDER = "provider", _("Provider")


AREA_LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY)

UNITS: frozenset[str] = frozenset(
    {"count", "people", "percent", "per_1000", "seconds", "beds", "yuan", "hours", "hours_per_head"}
)
# Units whose values add up across divisions (a city's count is its districts' sum); a city
# target of such a unit does not apply to a district, a share's target does.
ADDITIVE_UNITS: frozenset[str] = frozenset({"count", "people", "beds", "yuan", "hours"})
UNIT_LABELS: dict[str, Any] = {
    "count": _("count"),
    "people": _("people"),
    "percent": _("%"),
    "per_1000": _("per 1,000"),
    "seconds": _("seconds"),
    "beds": _("beds"),
    "yuan": _("yuan"),
    "hours": _("hours"),
    # A mean over people (training hours per caregiver): not additive, and "—" where
    # there is nobody to divide by, like a share.
    "hours_per_head": _("hours per head"),
}

Number = Decimal | int
EMPTY = "—"


@dataclass(frozen=True)
class IndicatorValue:
    """A computed figure with what it was computed from. ``value`` is None when there is
    nothing to divide by (an empty division): shown as "—", never as 0 % or an error."""

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None

    @property
    def display(self) -> str:
        return EMPTY if self.value is None else format_number(self.value)


def format_number(value: Decimal) -> str:
    """1234.5 -> '1,234.5', 70.00 -> '70', 0.04 -> '0.04' (two decimals at most)."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Period:
    """A half-open span of days [start, end): usually a calendar month."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = datetime.date(year, month, 1)
        end = datetime.date(year + (month == 12), month % 12 + 1, 1)
        return cls(start, end)

    @classmethod
    def of(cls, day: datetime.date) -> Period:
        return cls.month(day.year, day.month)

    @property
    def as_of(self) -> datetime.date:
        """The day stock figures (registered elders, beds) are read at: the period's last
        day, or today while the period is still running."""
        return min(self.end - datetime.timedelta(days=1), timezone.localdate())

    def previous(self) -> Period:
        day = self.start - datetime.timedelta(days=1)
        return Period.month(day.year, day.month)

    def start_dt(self) -> datetime.datetime:
        return _aware(self.start)

    def end_dt(self) -> datetime.datetime:
        """Exclusive end; for a running period, now (nothing later exists yet anyway)."""
        return _aware(self.end)

    def __str__(self) -> str:
        return f"{self.start:%Y-%m}"


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


Compute = Callable[[Period, Sequence["Division"]], dict[int, IndicatorValue]]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Promise | str
    unit: str
    definition: Promise | str
    direction: str  # "higher" or "lower" is better
    levels: tuple[str, ...]
    category: str
    compute: Compute = field(compare=False, repr=False)
    # Ordering on the dashboard and in the report (lower first); headline figures are cards.
    order: int = 100
    headline: bool = False
    # The target when none is set for the year (a norm from settings or a national
    # standard); targets set by the city override it.
    default_target: Callable[[], Decimal | None] | None = field(
        default=None, compare=False, repr=False
    )
    # How the figure was produced where the method is not fixed (walking times by the
    # network or by the straight line): a sentence for a division, shown beside the figure.
    note: Callable[[Division], str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"indicator {self.code}: unit {self.unit!r} not in {sorted(UNITS)}")
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"indicator {self.code}: direction must be 'higher' or 'lower'")
        unknown = set(self.levels) - set(Level.values)
        if unknown:
            raise ValueError(f"indicator {self.code}: unknown levels {sorted(unknown)}")

    @property
    def is_share(self) -> bool:
        return self.unit == "percent"

    @property
    def is_additive(self) -> bool:
        return self.unit in ADDITIVE_UNITS

    @property
    def unit_label(self) -> str:
        return str(UNIT_LABELS[self.unit])


class Category(models.TextChoices):
    POPULATION = "population", _("Elderly population")
    SPECIAL_GROUPS = "special_groups", _("Special groups")
    ASSESSMENT = "assessment", _("Ability assessment")
    INSTITUTIONS = "institutions", _("Institutions and beds")
    COMMUNITY = "community", _("Community facilities")
    HOME_CARE = "home_care", _("Home-care services")
    WORKFORCE = "workforce", _("Caregivers")
    DEVICES = "devices", _("Smart devices")
    ALERTS = "alerts", _("Emergency alerts")


_REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    """Add an indicator to the catalogue (usable as ``register(Indicator(...))``)."""
    existing = _REGISTRY.get(indicator.code)
    if existing is not None and existing.compute is not indicator.compute:
        raise ValueError(f"indicator {indicator.code!r} is registered twice")
    _REGISTRY[indicator.code] = indicator
    return indicator


def indicator(
    *,
    code: str,
    name: Promise | str,
    unit: str,
    definition: Promise | str,
    direction: str = "higher",
    levels: tuple[str, ...] = AREA_LEVELS,
    category: str,
    order: int = 100,
    headline: bool = False,
    default_target: Callable[[], Decimal | None] | None = None,
    note: Callable[[Division], str] | None = None,
) -> Callable[[Compute], Compute]:
    """Decorator form: ``@indicator(code=..., ...) def compute(period, divisions): ...``,
    or ``indicator(code=..., ...)(CountOf(records))`` with a declared figure
    (``yiyang.core.indicator_figures``); a figure's ``provider_form``, where it has one, is
    registered as the indicator's provider form (:func:`for_providers`)."""

    def wrap(compute: Compute) -> Compute:
        register(
            Indicator(
                code=code,
                name=name,
                unit=unit,
                definition=definition,
                direction=direction,
                levels=levels,
                category=category,
                compute=compute,
                order=order,
                headline=headline,
                default_target=default_target,
                note=note,
            )
        )
        provider_form = getattr(compute, "provider_form", None)
        if provider_form is not None:
            for_providers(code)(provider_form)
        return compute

    return wrap


def joined(*parts: Promise | str) -> Promise | str:
    """Translatable sentences put together lazily (``+`` would translate at import)."""
    return format_lazy(" ".join("{}" for _part in parts), *parts)


_SHARED: ContextVar[dict[Any, Any] | None] = ContextVar("indicator_shared", default=None)


@contextmanager
def shared_queries() -> Iterator[None]:
    """Within this block, indicators of one family share one grouped query per period and
    set of divisions (``shared``): a snapshot computes ~150 indicators from a few scans of
    each large table instead of one scan each. Outside it every call queries afresh."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def shared(key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, reused for the same key inside :func:`shared_queries`."""
    memo = _SHARED.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def divisions_key(divisions: Sequence[Division]) -> tuple[int, ...]:
    return tuple(sorted(d.pk for d in divisions))


def catalogue() -> dict[str, Indicator]:
    """Every registered indicator by code, in display order."""
    return dict(sorted(_REGISTRY.items(), key=lambda item: (item[1].order, item[0])))


def register_breakdown(
    *,
    family: str,
    choices: type[models.TextChoices],
    records: Callable[[Period], Any],
    key_field: str,
    code_field: str,
    name: Promise | str,
    definition: Promise | str,
    category: str,
    order: int,
    direction: str = "lower",
) -> None:
    """One count indicator per choice (``<family>_<choice>``: alerts by kind, flags by
    code…), all computed from one grouped query of ``records(period)`` by the choice
    (``key_field``) and the division code (``code_field``), shared between them."""

    def table(period: Period, divisions: Sequence[Division]) -> dict[str, dict[str, int]]:
        rows = (
            records(period)
            .filter(scope_q(code_field, divisions))
            .order_by()
            .values_list(key_field, code_field)
            .annotate(n=models.Count("pk"))
        )
        found: dict[str, dict[str, int]] = {}
        for key, code, n in rows:
            found.setdefault(key, {})[code] = n
        return found

    def one(choice: Any, position: int) -> None:
        def compute(period: Period, divisions: Sequence[Division]) -> dict[int, IndicatorValue]:
            found = shared(
                ("breakdown", family, period, divisions_key(divisions)),
                lambda: table(period, divisions),
            )
            return counts(divisions, found.get(choice.value, {}))

        register(
            Indicator(
                code=f"{family}_{choice.value}",
                name=joined(name, choice.label),
                unit="count",
                definition=joined(definition, choice.label),
                direction=direction,
                levels=AREA_LEVELS,
                category=category,
                compute=compute,
                order=order + position,
            )
        )

    for position, choice in enumerate(choices):
        one(choice, position)


# ---------------------------------------------------------------------------------------
# Provider level: the same indicator computed per provider (an organisation delivering
# services) rather than per division, where that means something (visits delivered, on
# time, missed, flagged; ratings; complaints). An app adds the provider form of one of its
# indicators with ``@for_providers("code")``; ``compute(period, providers)`` answers for
# many providers at once, keyed by the provider's primary key.

ProviderCompute = Callable[[Period, Sequence[Any]], dict[int, IndicatorValue]]

_PROVIDER_COMPUTE: dict[str, ProviderCompute] = {}


def for_providers(code: str) -> Callable[[ProviderCompute], ProviderCompute]:
    """Decorator: the provider-level computation of the registered indicator ``code``."""

    def wrap(compute: ProviderCompute) -> ProviderCompute:
        if code not in _REGISTRY:
            raise ValueError(f"indicator {code!r}: register it before its provider form")
        existing = _PROVIDER_COMPUTE.get(code)
        if existing is not None and existing is not compute:
            raise ValueError(f"indicator {code!r}: provider form registered twice")
        _PROVIDER_COMPUTE[code] = compute
        return compute

    return wrap


def provider_compute(code: str) -> ProviderCompute | None:
    return _PROVIDER_COMPUTE.get(code)


def provider_catalogue() -> dict[str, Indicator]:
    """The indicators that also have a provider form, in display order."""
    return {code: i for code, i in catalogue().items() if code in _PROVIDER_COMPUTE}


def ratio_values(
    keys: Iterable[int], numerator: Mapping[int, Number], denominator: Mapping[int, Number]
) -> dict[int, IndicatorValue]:
    """Shares per key (a provider's pk) of numerators over denominators; none is 0."""
    return {k: ratio(numerator.get(k, 0), denominator.get(k, 0)) for k in keys}


def count_values(keys: Iterable[int], per_key: Mapping[int, Number]) -> dict[int, IndicatorValue]:
    """Counts per key (a provider's pk); a key with no records counts 0."""
    values = {k: Decimal(per_key.get(k, 0)) for k in keys}
    return {k: IndicatorValue(n, n, None) for k, n in values.items()}


# ---------------------------------------------------------------------------------------
# Helpers for compute functions: group by record code once, roll up by code prefix.


def scope_q(field_name: str, divisions: Iterable[Division]) -> Q:
    """Records under any of the divisions (nested prefixes collapse into their parent)."""
    prefixes = sorted({d.code_prefix for d in divisions}, key=len)
    kept: list[str] = []
    for prefix in prefixes:
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    if not kept:
        return Q(pk__in=[])
    condition = Q()
    for prefix in kept:
        condition |= prefix_q(field_name, prefix)
    return condition


def rollup(divisions: Sequence[Division], per_code: Mapping[str, Number]) -> dict[int, Decimal]:
    """Sum values keyed by (community) code into every division whose prefix the code has."""
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for division in divisions:
        by_prefix[division.code_prefix].append(division.pk)
    lengths = sorted({CODE_PREFIX_LENGTH[d.level] for d in divisions})
    totals: dict[int, Decimal] = {d.pk: Decimal(0) for d in divisions}
    for code, value in per_code.items():
        if value is None:
            continue
        for length in lengths:
            for pk in by_prefix.get(code[:length], ()):
                totals[pk] += Decimal(value)
    return totals


def count_by_code(
    queryset: Any, code_field: str, divisions: Sequence[Division], distinct: str | None = None
) -> dict[str, int]:
    """``{record code: number of rows}`` of the queryset under the divisions (with
    ``distinct``, the number of distinct values of that field: people, not their meals)."""
    rows = (
        queryset.filter(scope_q(code_field, divisions))
        .order_by()
        .values_list(code_field)
        .annotate(n=models.Count(distinct or "pk", distinct=distinct is not None))
    )
    return dict(rows)


def sum_by_code(
    queryset: Any, code_field: str, divisions: Sequence[Division], expression: Any
) -> dict[str, Number]:
    rows = (
        queryset.filter(scope_q(code_field, divisions))
        .order_by()
        .values_list(code_field)
        .annotate(n=models.Sum(expression))
    )
    return {code: n for code, n in rows if n is not None}


def histograms_by_division(
    divisions: Sequence[Division], rows: Iterable[tuple[str, int, int]]
) -> dict[int, Counter[int]]:
    """Roll (record code, value, how many) rows up into each division whose prefix the code
    has, as a histogram of values: figures that do not add up (medians, percentiles) from
    rows the database has already grouped, not from every record."""
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for division in divisions:
        by_prefix[division.code_prefix].append(division.pk)
    lengths = sorted({CODE_PREFIX_LENGTH[d.level] for d in divisions})
    grouped: dict[int, Counter[int]] = {d.pk: Counter() for d in divisions}
    for code, value, n in rows:
        for length in lengths:
            for pk in by_prefix.get(code[:length], ()):
                grouped[pk][value] += n
    return grouped


def percentile(histogram: Mapping[int, int], share: float) -> Decimal | None:
    """The nearest-rank percentile of a histogram (value -> how many); 0.5 is the median
    (the mean of the middle two when their number is even), as the alert statistics page
    computes them."""
    total = sum(histogram.values())
    if not total:
        return None
    ordered = sorted(histogram.items())

    def at(rank: int) -> int:
        seen = 0
        for value, n in ordered:
            seen += n
            if rank < seen:
                return value
        return ordered[-1][0]

    if share == 0.5:
        middle = total // 2
        if total % 2:
            return quantise(Decimal(at(middle)))
        return quantise((Decimal(at(middle - 1)) + Decimal(at(middle))) / 2)
    return quantise(Decimal(at(min(total - 1, int(share * total)))))


def counts(
    divisions: Sequence[Division], per_code: Mapping[str, Number]
) -> dict[int, IndicatorValue]:
    """Count indicators: the rolled-up number, which is its own numerator."""
    return {pk: IndicatorValue(n, n, None) for pk, n in rollup(divisions, per_code).items()}


def ratios(
    divisions: Sequence[Division],
    numerator: Mapping[str, Number],
    denominator: Mapping[str, Number],
    *,
    scale: int = 100,
) -> dict[int, IndicatorValue]:
    """Shares (scale 100) or rates (scale 1000) of rolled-up numerators over denominators."""
    top = rollup(divisions, numerator)
    bottom = rollup(divisions, denominator)
    return {d.pk: ratio(top[d.pk], bottom[d.pk], scale=scale) for d in divisions}


def ratio(numerator: Number, denominator: Number, *, scale: int = 100) -> IndicatorValue:
    num, den = Decimal(numerator), Decimal(denominator)
    if den == 0:
        return IndicatorValue(None, num, den)
    return IndicatorValue(quantise(num * scale / den), num, den)


def quantise(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
