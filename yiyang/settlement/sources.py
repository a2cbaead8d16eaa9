"""What a statement bills: a small registry of line sources.

A source is a kind (``"visit"``; the meals app adds ``"meal"``), a label, and one of two
ways of handing the month's billable units to the settlement run:

``collect(first, last, provider_ids) -> list[SourceRow]``
    Python rows (``yiyang.settlement.rules.SourceRow``) with the holds only the source can
    judge already noted on each row (``row.hold(reason, **detail)``). Right for sources of
    thousands of units a month. Another app registers it from its ``AppConfig.ready``::

        from yiyang.settlement.sources import register_source
        register_source("meal", _("Served meal"), collect_meals)

    so settlement never imports that app.

``stage(run)``
    Set-based, for sources of millions (visits): SQL that inserts the units into the
    run's temporary table (``engine.UNIT``, columns ``Run.UNIT_COLUMNS``) and notes the
    source's own holds with ``run.hold((kind, source_id), reason, **detail)``.

What a row must carry: the elder, the elder's division code (it decides the contract's
area and the street that verifies the line), the provider, the date, a description, the
price and its split by payer (allowance + long-term-care insurance + self-pay = price, in
yuan with fen), and, where it has them, the service item (``None``: any item of the
contract covers it), the caregiver and the start and end times. A unit is billed once:
its ``(kind, source_id)`` is unique among lines.

The run then applies the rules that hold for every kind (registry status, duplicates,
the elder's monthly allowance) over all units together, matches each unit to its live
contract, and writes lines and holds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

from yiyang.meals.selectors import BILLING_KIND, BILLING_LABEL, billable_meals
from yiyang.settlement.choices import ContractScope, SourceKind
from yiyang.settlement.rules import SourceRow
from yiyang.workforce.selectors import billable_subsidies

if TYPE_CHECKING:
    from yiyang.settlement.services.engine import Run

Collector = Callable[[datetime.date, datetime.date, Collection[int] | None], list[SourceRow]]
Stager = Callable[["Run"], None]


@dataclass(frozen=True)
class Source:
    kind: str
    label: Promise | str
    collect: Collector | None = None
    stage: Stager | None = None


SOURCES: dict[str, Source] = {}


def register_source(
    kind: str,
    label: Promise | str,
    collect: Collector | None = None,
    *,
    stage: Stager | None = None,
) -> None:
    """Register a source of billable units (exactly one of ``collect`` and ``stage``)."""
    if (collect is None) == (stage is None):
        raise ValueError("A source has either a collector or a stage, not both or neither.")
    SOURCES[kind] = Source(kind, label, collect, stage)


def source_label(kind: str) -> str:
    if kind == SourceKind.ADJUSTMENT:
        return str(SourceKind.ADJUSTMENT.label)
    source = SOURCES.get(kind)
    return str(source.label) if source else kind


def _stage_visits(run: Any) -> None:
    from yiyang.settlement.services.holdrules import stage_visits, visit_holds

    stage_visits(run)
    visit_holds(run)


register_source(SourceKind.VISIT, SourceKind.VISIT.label, stage=_stage_visits)


def _collect_meals(
    first: datetime.date, last: datetime.date, provider_ids: Collection[int] | None
) -> list[SourceRow]:
    """Served meals with a subsidy (the meals app's rows; meals sits below settlement in
    the layers, so settlement registers it here)."""
    return [SourceRow(**row) for row in billable_meals(first, last, provider_ids)]


register_source(BILLING_KIND, BILLING_LABEL, _collect_meals)


def _collect_subsidies(kind: str) -> Collector:
    def collect(
        first: datetime.date, last: datetime.date, provider_ids: Collection[int] | None
    ) -> list[SourceRow]:
        """Caregivers' unpaid entitlements of the month (the workforce's rows): payee lines,
        billed under the employer's contract of a caregiver-subsidy budget line."""
        rows = billable_subsidies(first, last, provider_ids, billing_kind=kind)
        return [SourceRow(**row) for row in rows]

    return collect


for _kind in (SourceKind.CAREGIVER_ENTRY, SourceKind.CAREGIVER_POST):
    register_source(_kind.value, _kind.label, _collect_subsidies(_kind.value))


def _stage_packages(run: Any) -> None:
    """Per-elder monthly packages: after every other source, as they absorb the visits
    of package contracts (``services.packages``)."""
    from yiyang.settlement.services.packages import stage_packages

    stage_packages(run)


register_source(SourceKind.PACKAGE, SourceKind.PACKAGE.label, stage=_stage_packages)


# Which sources' units each kind of contract takes: a home-care contract never bills a
# meal, a meal-only contract nothing but meals.
SCOPE_SOURCES: dict[str, tuple[str, ...]] = {
    ContractScope.HOME_CARE: (SourceKind.VISIT,),
    ContractScope.MEALS: (BILLING_KIND,),
}
