"""The indicators app owns the city's targets and the monthly snapshots of every indicator.

Targets are set per indicator, year and division (a city target, optional district
targets) by city administrators, and by district officers for their own district when
``INDICATOR_DISTRICT_TARGETS`` allows; every change is audited. Snapshots are taken for a
month at every level from the records (``snapshot_take``); the running month is refreshed
nightly and the month before is closed on the 1st (``yiyang run-indicator-scheduler``).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from yiyang.alerts.models import Alert
from yiyang.core.audit import audit_record, diff, snapshot
from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.indicators import (
    Indicator,
    Period,
    catalogue,
    provider_catalogue,
    provider_compute,
    shared_queries,
)
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, Role, require_perm
from yiyang.indicators.models import IndicatorSnapshot, IndicatorTarget, ProviderSnapshot
from yiyang.indicators.selectors import current_month, indicator_get, month_check
from yiyang.organisations.choices import PROVIDER_KINDS
from yiyang.organisations.models import Organisation
from yiyang.visits.models import Visit

TARGET_FIELDS = ("code", "year", "division", "value", "note")
TARGET_LEVELS = (DivisionLevel.CITY, DivisionLevel.DISTRICT)
# The most a value of each unit can be (a share above 100% is impossible).
UNIT_MAXIMUM = {"percent": Decimal(100), "per_1000": Decimal(1000)}
WHOLE_UNITS = frozenset({"count", "people", "beds"})


# --------------------------------------------------------------------------------------
# Targets


def target_value_check(indicator: Indicator, value: Any, unit: str | None = None) -> Decimal:
    """The value as a Decimal, or a ValidationError saying what is wrong with it."""
    if unit and unit != indicator.unit:
        raise ValidationError(
            {
                "unit": _("“%(code)s” is measured in %(expected)s, not “%(given)s”.")
                % {"code": indicator.code, "expected": indicator.unit_label, "given": unit}
            }
        )
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {"value": _("“%(value)s” is not a number.") % {"value": value}}
        ) from None
    if not number.is_finite():
        raise ValidationError({"value": _("“%(value)s” is not a number.") % {"value": value}})
    if number < 0:
        raise ValidationError({"value": _("A target cannot be negative.")})
    maximum = UNIT_MAXIMUM.get(indicator.unit)
    if maximum is not None and number > maximum:
        raise ValidationError(
            {
                "value": _("%(value)s is impossible for a figure in %(unit)s (at most %(max)s).")
                % {"value": number, "unit": indicator.unit_label, "max": maximum}
            }
        )
    if indicator.unit in WHOLE_UNITS and number != number.to_integral_value():
        raise ValidationError(
            {"value": _("This figure counts whole %(unit)s.") % {"unit": indicator.unit_label}}
        )
    if abs(number) >= Decimal(10) ** 15:
        raise ValidationError({"value": _("The number is too large.")})
    return number


def target_division_check(*, actor: Actor, indicator: Indicator, division: Division) -> None:
    if not actor.scope.covers_division_code(division.code):
        raise ValidationError({"division": _("This division is outside your jurisdiction.")})
    if division.level not in TARGET_LEVELS:
        raise ValidationError({"division": _("Targets are set for the city and its districts.")})
    if division.level not in indicator.levels:
        raise ValidationError({"division": _("This indicator is not computed at that level.")})
    if actor.role == Role.DISTRICT_OFFICER:
        if not settings.INDICATOR_DISTRICT_TARGETS:
            raise ValidationError(
                {"division": _("District targets are set by the city in this deployment.")}
            )
        if division.level != DivisionLevel.DISTRICT:
            raise ValidationError(
                {"division": _("District officers set their district's targets.")}
            )


def target_year_check(year: Any) -> int:
    try:
        number = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": _("“%(year)s” is not a year.") % {"year": year}}) from None
    this_year = timezone.localdate().year
    if not this_year - 20 <= number <= this_year + 10:
        raise ValidationError(
            {
                "year": _("Targets are set for %(first)s to %(last)s.")
                % {"first": this_year - 20, "last": this_year + 10}
            }
        )
    return number


@transaction.atomic
def target_set(
    *,
    actor: Actor,
    code: str,
    year: Any,
    division: Division,
    value: Any,
    unit: str | None = None,
    note: str = "",
) -> IndicatorTarget:
    """Set (create or change) the target of one indicator for one year and division."""
    require_perm(actor, Permission.MANAGE_INDICATOR_TARGETS)
    indicator = indicator_get(code)
    errors: dict[str, Any] = {}
    checked: dict[str, Any] = {}
    for name, check in (
        ("year", lambda: target_year_check(year)),
        ("value", lambda: target_value_check(indicator, value, unit)),
        (
            "division",
            lambda: target_division_check(actor=actor, indicator=indicator, division=division),
        ),
    ):
        try:
            checked[name] = check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if len(note) > 200:
        errors["note"] = [_("At most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    target = (
        IndicatorTarget.objects.select_for_update()
        .filter(code=code, year=checked["year"], division=division)
        .first()
    )
    before = snapshot(target, TARGET_FIELDS) if target else {}
    if target is None:
        target = IndicatorTarget(
            code=code, year=checked["year"], division=division, division_code=division.code
        )
    target.value = checked["value"].quantize(Decimal("0.0001"))
    target.note = note
    target.save()
    after = snapshot(target, TARGET_FIELDS)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        obj=target,
        division_code=division.code,
        changes=diff(before, after),
    )
    return target


@transaction.atomic
def target_delete(*, actor: Actor, target: IndicatorTarget) -> None:
    """Remove a target (the figure then shows none, or the city's for a district)."""
    require_perm(actor, Permission.MANAGE_INDICATOR_TARGETS)
    division = target.division
    indicator = indicator_get(target.code)
    target_division_check(actor=actor, indicator=indicator, division=division)
    before = snapshot(target, TARGET_FIELDS)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=target,
        division_code=division.code,
        changes={**diff(before, dict.fromkeys(TARGET_FIELDS)), "deleted": [False, True]},
    )
    target.delete()


# The targets the source texts give, set by ``targets_seed`` for a city that has none.
DEFAULT_TARGETS: dict[str, Decimal] = {
    "nursing_bed_share": Decimal(70),
    "station_coverage_urban": Decimal(100),
    "station_coverage_rural": Decimal(90),
    "alerts_answered_60s": Decimal("97.5"),
    "alerts_answered_180s": Decimal(99),
    "wearables_bound": Decimal(100000),
}


def targets_seed(*, actor: Actor, city: Division, year: int, values: dict[str, Decimal]) -> int:
    """Set the given city targets for the year where none is set; returns how many."""
    made = 0
    for code, value in values.items():
        exists = IndicatorTarget.objects.filter(code=code, year=year, division=city).exists()
        if not exists and code in catalogue():
            target_set(actor=actor, code=code, year=year, division=city, value=value)
            made += 1
    return made


# --------------------------------------------------------------------------------------
# Snapshots


def data_start() -> datetime.date | None:
    """The first month any record exists for (divisions, visits, alerts): snapshots before
    it would be empty and are refused."""
    firsts: list[datetime.date] = []
    first_division = Division.objects.aggregate(at=Min("created_at"))["at"]
    if first_division is not None:
        firsts.append(timezone.localdate(first_division))
    # Records with their own dates in the past (visit history, imported alerts).
    first_visit = Visit.objects.aggregate(day=Min("date"))["day"]
    if first_visit is not None:
        firsts.append(first_visit)
    first_alert = Alert.objects.aggregate(at=Min("raised_at"))["at"]
    if first_alert is not None:
        firsts.append(timezone.localdate(first_alert))
    return min(firsts).replace(day=1) if firsts else None


def months_with_data_check(month: datetime.date, field_name: str = "month") -> None:
    """A month before the first records is an error (its figures would all be empty)."""
    start = data_start()
    if start is not None and month.replace(day=1) < start:
        raise ValidationError(
            {
                field_name: _("%(month)s is before the first records (%(start)s).")
                % {"month": f"{month:%Y-%m}", "start": f"{start:%Y-%m}"}
            }
        )


def snapshot_month_check(month: datetime.date) -> datetime.date:
    month = month_check(month)
    start = data_start()
    if start is None:
        raise ValidationError({"month": _("There are no records yet to take a snapshot of.")})
    if month < start:
        raise ValidationError(
            {
                "month": _("%(month)s is before the first records (%(start)s).")
                % {"month": f"{month:%Y-%m}", "start": f"{start:%Y-%m}"}
            }
        )
    return month


def snapshot_take(
    *, month: datetime.date, rebuild: bool = False, codes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Compute every indicator (or those named) for every division at every level it is
    computed at, for one month, and store the values. A past month already taken is left
    alone unless ``rebuild``; the running month is always refreshed. One transaction: a
    failure leaves the month as it was."""
    month = snapshot_month_check(month)
    if codes:
        for code in codes:
            indicator_get(code)
    taken = IndicatorSnapshot.objects.filter(month=month)
    if month < current_month() and not rebuild and taken.exists():
        return {"month": f"{month:%Y-%m}", "skipped": True, "rows": taken.count()}
    started = time.monotonic()
    divisions = list(Division.objects.order_by("code"))
    now = timezone.now()
    period = Period.of(month)
    rows: list[IndicatorSnapshot] = []
    timings: dict[str, float] = {}

    with shared_queries():
        for indicator in catalogue().values():
            if codes and indicator.code not in codes:
                continue
            at_levels = [d for d in divisions if d.level in indicator.levels]
            if not at_levels:
                continue
            tick = time.monotonic()
            values = indicator.compute(period, at_levels)
            timings[indicator.code] = round(time.monotonic() - tick, 3)
            for division in at_levels:
                value = values[division.pk]
                rows.append(
                    IndicatorSnapshot(
                        code=indicator.code,
                        month=month,
                        division=division,
                        division_code=division.code,
                        level=division.level,
                        value=value.value,
                        numerator=value.numerator,
                        denominator=value.denominator,
                        computed_at=now,
                    )
                )
        provider_rows = _provider_rows(period, now, codes, timings)
    with transaction.atomic():
        stale = IndicatorSnapshot.objects.filter(month=month)
        stale_providers = ProviderSnapshot.objects.filter(month=month)
        if codes:
            stale = stale.filter(code__in=codes)
            stale_providers = stale_providers.filter(code__in=codes)
        stale.delete()
        stale_providers.delete()
        IndicatorSnapshot.objects.bulk_create(rows, batch_size=2000)
        ProviderSnapshot.objects.bulk_create(provider_rows, batch_size=2000)
    return {
        "month": f"{month:%Y-%m}",
        "skipped": False,
        "rows": len(rows),
        "provider_rows": len(provider_rows),
        "seconds": round(time.monotonic() - started, 2),
        "slowest": sorted(timings.items(), key=lambda item: -item[1])[:5],
    }


def snapshot_providers() -> list[Organisation]:
    """The providers whose figures are kept: organisations that offer services."""
    return list(
        Organisation.objects.filter(kind__in=PROVIDER_KINDS, offerings__isnull=False)
        .distinct()
        .select_related("division")
        .order_by("pk")
    )


def _provider_rows(
    period: Period, now: datetime.datetime, codes: Sequence[str] | None, timings: dict[str, float]
) -> list[ProviderSnapshot]:
    """The provider forms of the indicators (inside the caller's ``shared_queries``)."""
    providers = snapshot_providers()
    rows: list[ProviderSnapshot] = []
    if not providers:
        return rows
    for code in provider_catalogue():
        compute = provider_compute(code)
        if compute is None or (codes and code not in codes):
            continue
        tick = time.monotonic()
        values = compute(period, providers)
        timings[f"{code}@provider"] = round(time.monotonic() - tick, 3)
        rows.extend(
            ProviderSnapshot(
                code=code,
                month=period.start,
                provider=provider,
                division_code=provider.division.code,
                value=values[provider.pk].value,
                numerator=values[provider.pk].numerator,
                denominator=values[provider.pk].denominator,
                computed_at=now,
            )
            for provider in providers
        )
    return rows


def snapshots_due(*, now: datetime.datetime | None = None) -> list[tuple[datetime.date, bool]]:
    """What the scheduler should run now: (month, rebuild) pairs. The running month once a
    night after ``INDICATOR_SNAPSHOT_HOUR``; the month before once after it closed (on the
    1st), rebuilt so that it holds the whole month."""
    local = timezone.localtime(now or timezone.now())
    month = local.date().replace(day=1)
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    due: list[tuple[datetime.date, bool]] = []
    last = _last_computed(previous)
    if last is not None and last < _aware(month):
        due.append((previous, True))
    # The latest nightly run time that has passed: today's, or yesterday's before the hour.
    run = _aware(local.date()) + datetime.timedelta(hours=settings.INDICATOR_SNAPSHOT_HOUR)
    if local < run:
        run -= datetime.timedelta(days=1)
    last = _last_computed(month)
    if last is None or last < run:
        due.append((month, False))
    return due


def _last_computed(month: datetime.date) -> datetime.datetime | None:
    at: datetime.datetime | None = IndicatorSnapshot.objects.filter(month=month).aggregate(
        at=Max("computed_at")
    )["at"]
    return at


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@task()
def snapshot_month_task(month: str, rebuild: bool = False) -> dict[str, Any]:
    """Take (or refresh, or rebuild) one month's snapshots in the background worker;
    ``month`` is YYYY-MM-DD. Defined here, as the optimiser's task is, so that the
    scheduler command (an entry point) queues it through the service layer."""
    return snapshot_take(month=datetime.date.fromisoformat(month), rebuild=rebuild)


def snapshots_enqueue(due: Sequence[tuple[datetime.date, bool]]) -> None:
    """Queue the due snapshots for the worker."""
    for month, rebuild in due:
        snapshot_month_task.enqueue(month.isoformat(), rebuild)
