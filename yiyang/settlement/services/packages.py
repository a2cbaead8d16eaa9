"""Per-elder monthly packages: a package contract pays a fixed amount a month for each
elder it serves instead of each visit at a unit price.

The rules (docs/settlement.md):

- The elders served in a month are those with a visit of the contract's services by its
  provider in its areas and period that month (a visit not cancelled).
- Their staged visits under the contract are absorbed: they become no lines of their own.
  A visit is *verified* when it was confirmed as done and no visit rule held it (a flag,
  the caregiver elsewhere, the elder away, a lapsed certificate).
- One package line per elder and month (the unit is a ``PackageMonth``, its id the line's
  ``source_id``), dated the first day of the month the contract was in force, paid wholly
  from the allowance (the package is the government's purchase: no self-pay).
- With a minimum of verified visits set, fewer verified visits pro-rate the amount
  (amount × verified ÷ minimum, rounded half up to the fen); no verified visit at all
  holds the line (``no_verified_visit``) at the full amount for a reviewer to decide.
- The rules for every unit then apply to it: the elder's registry status on any day of
  the month from its date (hospital, institution, deceased, moved out: held, its detail
  naming the days away and the month's share, to which the reviewer reduces it), the
  monthly allowance, and a second package for the same elder and month (held as billed
  twice).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from yiyang.settlement.choices import HoldReason, SourceKind
from yiyang.settlement.models import Contract, PackageMonth
from yiyang.settlement.services.engine import UNIT, Run, as_date

VISIT = SourceKind.VISIT.value
PACKAGE = SourceKind.PACKAGE.value
CENT = Decimal("0.01")


def package_amount(package: Decimal, minimum: int, verified: int) -> Decimal:
    """The month's amount for one elder: in full from ``minimum`` verified visits (or with
    no minimum, or none verified: then held), else pro-rated to the fen."""
    if not minimum or verified >= minimum or verified == 0:
        return package
    return (package * verified / minimum).quantize(CENT, rounding=ROUND_HALF_UP)


def stage_packages(run: Run) -> None:
    """Each package contract's month: its visits taken out of the units, one package unit
    per elder served put in."""
    for contract in run.packages:
        _stage_contract(run, contract)


def _period(run: Run, contract: Contract) -> tuple[datetime.date, datetime.date]:
    return max(run.first, contract.starts_on), min(run.last, contract.ends_on)


def _staged_visits(run: Run, contract: Contract, items: list[int]) -> list[tuple[Any, ...]]:
    since, until = _period(run, contract)
    prefixes = sorted({a.code_prefix for a in contract.areas.all()})
    if not items or not prefixes:
        return []
    areas = " OR ".join(["division_code LIKE %s"] * len(prefixes))
    marks = ", ".join(["%s"] * len(items))
    return run.fetch(
        f"SELECT source_id, elder_id, division_code, day FROM {UNIT} "  # noqa: S608
        f"WHERE kind = %s AND provider_id = %s AND item_id IN ({marks}) "
        f"AND day >= %s AND day <= %s AND ({areas}) ORDER BY day, source_id",
        [
            VISIT,
            contract.provider_id,
            *items,
            run.date(since),
            run.date(until),
            *[p + "%" for p in prefixes],
        ],
    )


def _unverified_elders(
    run: Run, contract: Contract, items: list[int], known: set[int]
) -> dict[int, tuple[str, int]]:
    """Elders with visits under the contract this month none of which was confirmed as
    done (missed, not confirmed): served, but with nothing verified."""
    from yiyang.visits.models import Visit

    since, until = _period(run, contract)
    area = Q()
    for a in contract.areas.all():
        area |= Q(division_code__startswith=a.code_prefix)
    found: dict[int, tuple[str, int]] = {}
    rows = (
        Visit.objects.filter(
            area,
            provider_id=contract.provider_id,
            item_id__in=items,
            date__gte=since,
            date__lte=until,
        )
        .exclude(status="cancelled")
        .exclude(elder_id__in=known)
        .values_list("elder_id", "division_code")
    )
    for elder_id, code in rows:
        found[elder_id] = (code, found.get(elder_id, (code, 0))[1] + 1)
    return found


def _stage_contract(run: Run, contract: Contract) -> None:
    items = [i.item_id for i in contract.items.all()]
    visits = _staged_visits(run, contract, items)
    served: dict[int, dict[str, Any]] = {}
    for source_id, elder_id, code, _day in visits:
        entry = served.setdefault(elder_id, {"code": code, "visits": 0, "verified": 0})
        entry["code"] = code
        entry["visits"] += 1
        if not run.holds.pop((VISIT, int(source_id)), None):
            entry["verified"] += 1
    for elder_id, (code, count) in _unverified_elders(run, contract, items, set(served)).items():
        served[elder_id] = {"code": code, "visits": count, "verified": 0}
    _remove_units(run, [int(v[0]) for v in visits])
    if not served:
        return
    months = _package_months(run, contract, served)
    since, _until = _period(run, contract)
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for elder_id, entry in sorted(served.items()):
            unit = months[elder_id]
            amount = package_amount(
                Decimal(contract.package_yuan or 0), contract.package_min_visits, entry["verified"]
            )
            description = _("Monthly package %(month)s: %(verified)s verified visits") % {
                "month": f"{run.first:%Y-%m}",
                "verified": entry["verified"],
            }
            if contract.package_min_visits:
                description += _(" (%(minimum)s for the full amount)") % {
                    "minimum": contract.package_min_visits
                }
            rows.append(
                _unit(run, unit.id, elder_id, entry["code"], contract, since, description, amount)
            )
            if entry["verified"] == 0:
                run.hold((PACKAGE, unit.id), HoldReason.NO_VERIFIED_VISIT, visits=entry["visits"])
    run.insert(UNIT, run.UNIT_COLUMNS, rows)


def _unit(
    run: Run,
    source_id: int,
    elder_id: int,
    code: str,
    contract: Contract,
    day: datetime.date,
    description: str,
    amount: Decimal,
) -> tuple[Any, ...]:
    from django.db import connection

    money = [
        connection.ops.adapt_decimalfield_value(v, 10, 2)
        for v in (amount, amount, Decimal("0.00"), Decimal("0.00"))
    ]
    return (
        PACKAGE,
        source_id,
        elder_id,
        code,
        contract.provider_id,
        None,
        None,
        run.date(day),
        None,
        None,
        description[:200],
        *money,
        "",
        0,
    )


def _remove_units(run: Run, source_ids: Sequence[int]) -> None:
    for i in range(0, len(source_ids), 500):
        chunk = list(source_ids[i : i + 500])
        marks = ", ".join(["%s"] * len(chunk))
        run.execute(
            f"DELETE FROM {UNIT} WHERE kind = %s AND source_id IN ({marks})",  # noqa: S608
            [VISIT, *chunk],
        )


def _package_months(
    run: Run, contract: Contract, served: dict[int, dict[str, Any]]
) -> dict[int, PackageMonth]:
    """The month's package unit of each elder served (kept across re-runs of a draft)."""
    existing = {
        p.elder_id: p for p in PackageMonth.objects.filter(contract=contract, month=run.first)
    }
    for elder_id, entry in served.items():
        unit = existing.get(elder_id)
        if unit is None:
            unit = PackageMonth(contract=contract, elder_id=elder_id, month=run.first)
        unit.visits, unit.verified_visits = entry["visits"], entry["verified"]
        unit.save()
        existing[elder_id] = unit
    return existing


def package_shares(run: Run, away: dict[int, list[tuple[datetime.date, datetime.date]]]) -> None:
    """For each package line held because the registry had the elder away part of the
    month: the days away of the line's days and the month's share of the amount (the days
    present), in the hold's detail, for the reviewer who reduces it."""
    if not away:
        return
    for source_id, elder_id, day, price in run.fetch(
        f"SELECT source_id, elder_id, day, price FROM {UNIT} WHERE kind = %s",  # noqa: S608
        [PACKAGE],
    ):
        detail = run.holds.get((PACKAGE, int(source_id)), {}).get(HoldReason.ELDER_UNAVAILABLE)
        if detail is None:
            continue
        first = as_date(day)
        days = (run.last - first).days + 1
        missing: set[datetime.date] = set()
        for start, until in away.get(int(elder_id), []):
            since = max(start, first)
            end = min(until - datetime.timedelta(days=1), run.last)
            missing.update(
                since + datetime.timedelta(days=n) for n in range((end - since).days + 1)
            )
        amount = Decimal(str(price))
        share = (amount * (days - len(missing)) / days).quantize(CENT, rounding=ROUND_HALF_UP)
        detail.update(away_days=len(missing), days=days, share=str(share))
