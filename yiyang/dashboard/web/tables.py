"""The dashboard's tables: built once, shown under their charts and exported as .xlsx.

Each chart on the dashboard draws from one of these tables, so the numbers a reader sees in
a chart, in the table beside it and in the exported sheet are the same numbers.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyang.core.cells import safe_row
from yiyang.core.indicators import (
    EMPTY,
    Indicator,
    IndicatorValue,
    format_number,
    provider_compute,
)
from yiyang.core.models import Division
from yiyang.core.permissions import Actor
from yiyang.dashboard import selectors
from yiyang.elders.choices import AbilityLevel
from yiyang.indicators.selectors import (
    Figure,
    current_month,
    dashboard_figures,
    division_ranking,
    provider_ranking,
)
from yiyang.services.choices import ServiceCategory


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    # Plain numbers for the chart (None for "—"), by series name.
    chart: dict[str, Any] = field(default_factory=dict)
    # How some figures were produced: (the indicators' names, the sentence), under the
    # table and in its sheet.
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def labelled_rows(self) -> list[list[tuple[str, Any]]]:
        """Each cell with its column's name (narrow screens show it beside the value)."""
        return [list(zip(self.columns, row, strict=False)) for row in self.rows]


# Words for a figure's status, translated when shown (the reader's language, not the
# language the process started in).
STATUS_LABELS = {
    "met": gettext_lazy("met"),
    "close": gettext_lazy("close"),
    "behind": gettext_lazy("behind"),
}

TABLE_KEYS = ("figures", "trend", "pyramid", "levels", "services", "ranking", "providers")
# The providers chart shows the best few; the table beside it has them all.
PROVIDER_CHART_ROWS = 15


def number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def shown(value: IndicatorValue | Decimal | None) -> str:
    if isinstance(value, IndicatorValue):
        return value.display
    return EMPTY if value is None else format_number(value)


def unit_text(indicator: Indicator) -> str:
    return indicator.unit_label


class Notes:
    """Indicators' notes (``Indicator.note``), each asked once per division and page."""

    def __init__(self) -> None:
        self.said: dict[tuple[Any, int], str] = {}

    def of(self, indicator: Indicator, division: Division) -> str:
        if indicator.note is None:
            return ""
        key = (indicator.note, division.pk)
        if key not in self.said:
            self.said[key] = indicator.note(division)
        return self.said[key]

    def grouped(self, figures: list[Figure]) -> list[tuple[str, str]]:
        """The notes of these figures, each sentence once with the indicators it is for."""
        names: dict[str, list[str]] = {}
        for figure in figures:
            sentence = self.of(figure.indicator, figure.division)
            if sentence:
                names.setdefault(sentence, []).append(str(figure.indicator.name))
        return [(" · ".join(found), sentence) for sentence, found in names.items()]


def figures_table(figures: list[Figure], notes: Notes | None = None) -> Table:
    table = Table(
        "figures",
        _("Indicators against targets"),
        [
            _("Indicator"),
            _("Value this month"),
            _("Unit of measure"),
            _("Target"),
            _("Status"),
            _("Year on year"),
        ],
    )
    for figure in figures:
        change = figure.year_on_year
        table.rows.append(
            [
                str(figure.indicator.name),
                shown(figure.value),
                unit_text(figure.indicator),
                shown(figure.target),
                str(STATUS_LABELS[figure.status]) if figure.status else EMPTY,
                EMPTY
                if change is None
                else (f"{change:+}" + (_(" points") if figure.indicator.is_share else " %")),
            ]
        )
    table.notes = (notes or Notes()).grouped(figures)
    return table


def trend_table(figure: Figure) -> Table:
    """The figure's months before this one (from the snapshots) and this month's value."""
    indicator = figure.indicator
    series = [*figure.trend, (figure.month, figure.value.value)]
    table = Table(
        "trend",
        _("%(indicator)s over %(n)d months") % {"indicator": indicator.name, "n": len(series)},
        [_("Month"), f"{indicator.name} ({unit_text(indicator)})"],
    )
    table.rows = [[f"{month:%Y-%m}", shown(value)] for month, value in series]
    table.chart = {
        "labels": [f"{month:%Y-%m}" for month, _value in series],
        "values": [number(value) for _month, value in series],
        "name": str(indicator.name),
        "unit": unit_text(indicator),
        "target": number(figure.target),
    }
    return table


def pyramid_table(division: Division) -> Table:
    rows = selectors.age_pyramid(division=division)
    table = Table(
        "pyramid", _("Registered elders by age and sex"), [_("Age"), _("Men"), _("Women")]
    )
    table.rows = [[r["band"], r["male"], r["female"]] for r in rows]
    table.chart = {
        "labels": [r["band"] for r in rows],
        "male": [r["male"] for r in rows],
        "female": [r["female"] for r in rows],
        "maleName": _("Men"),
        "femaleName": _("Women"),
    }
    return table


LEVEL_CODES = [f"assessed_level_{n}" for n in range(5)]


def _from_figures(figures: list[Figure], codes: list[str]) -> list[Figure] | None:
    """The figures of these indicators (read from the month's snapshot like the others),
    or None when the catalogue lacks one of them."""
    by_code = {f.indicator.code: f for f in figures}
    return [by_code[c] for c in codes] if all(c in by_code for c in codes) else None


def _count(value: Decimal | None) -> int:
    return int(value) if value is not None else 0


def levels_table(division: Division, figures: list[Figure]) -> Table:
    """Elders by ability level: the assessed-level indicators (snapshot-backed) and those
    registered without a level; the registry directly when the indicators are missing."""
    found = _from_figures(figures, [*LEVEL_CODES, "registered_elders"])
    if found is None:
        rows = selectors.level_mix(division=division)
    else:
        levels = [
            (str(label), _count(f.value.value))
            for (_, label), f in zip(AbilityLevel.choices, found[:5], strict=True)
        ]
        rest = _count(found[5].value.value) - sum(n for _, n in levels)
        rows = [{"label": label, "value": n} for label, n in levels]
        rows.append({"label": _("Not assessed"), "value": max(rest, 0)})
    table = Table(
        "levels", _("Registered elders by ability level"), [_("Ability level"), _("Elders")]
    )
    table.rows = [[r["label"], r["value"]] for r in rows]
    table.chart = {"items": [{"name": r["label"], "value": r["value"]} for r in rows]}
    return table


def services_table(division: Division, month: datetime.date, figures: list[Figure]) -> Table:
    """Visits delivered this month by service category (the indicators, else the visits)."""
    found = _from_figures(figures, [f"visits_delivered_{c}" for c in ServiceCategory.values])
    if found is None:
        rows = selectors.service_mix(division=division, month=month)
    else:
        rows = [
            {"label": str(label), "value": _count(f.value.value)}
            for (_, label), f in zip(ServiceCategory.choices, found, strict=True)
        ]
    table = Table(
        "services",
        _("Visits delivered in %(month)s by service") % {"month": f"{month:%Y-%m}"},
        [_("Service"), _("Visits delivered")],
    )
    table.rows = [[r["label"], r["value"]] for r in rows]
    table.chart = {"labels": [r["label"] for r in rows], "values": [r["value"] for r in rows]}
    return table


def ranking_table(
    *, actor: Actor, indicator: Indicator, division: Division, notes: Notes | None = None
) -> Table:
    ranked = division_ranking(actor=actor, code=indicator.code, parent=division)
    table = Table(
        "ranking",
        _("%(indicator)s by sub-division") % {"indicator": indicator.name},
        [_("Rank"), _("Division"), f"{indicator.name} ({unit_text(indicator)})"],
    )
    sentence = (notes or Notes()).of(indicator, division)
    if sentence:
        table.notes = [(str(indicator.name), sentence)]
    rank = 0
    for child, value in ranked:
        rank += value.value is not None
        table.rows.append([rank if value.value is not None else EMPTY, child.name, value.display])
    table.chart = {
        "values": {
            child.code: {
                "value": number(value.value),
                "display": value.display,
                "name": child.name,
                "id": str(child.external_id),
            }
            for child, value in ranked
        },
        "name": str(indicator.name),
        "unit": unit_text(indicator),
        "direction": indicator.direction,
    }
    return table


def providers_table(*, actor: Actor, indicator: Indicator, division: Division) -> Table | None:
    """The providers based in the division ranked by the indicator's provider form (for
    the indicators that have one: visits delivered, on time, missed; ratings; complaints)."""
    if provider_compute(indicator.code) is None:
        return None
    ranked = provider_ranking(actor=actor, code=indicator.code, division=division)
    if not ranked:
        return None
    table = Table(
        "providers",
        _("%(indicator)s by provider") % {"indicator": indicator.name},
        [_("Rank"), _("Provider"), f"{indicator.name} ({unit_text(indicator)})"],
    )
    rank = 0
    for figure in ranked:
        rank += figure.value.value is not None
        shown_rank = rank if figure.value.value is not None else EMPTY
        table.rows.append([shown_rank, figure.provider.name, figure.value.display])
    best = [f for f in ranked if f.value.value is not None][:PROVIDER_CHART_ROWS]
    table.chart = {
        "labels": [f.provider.name for f in best],
        "values": [number(f.value.value) for f in best],
    }
    return table


def build_tables(
    *, actor: Actor, division: Division, indicator: Indicator | None, notes: Notes | None = None
) -> tuple[list[Figure], dict[str, Table]]:
    notes = notes or Notes()
    figures = dashboard_figures(actor=actor, division=division)
    tables: dict[str, Table] = {"figures": figures_table(figures, notes)}
    chosen = [f for f in figures if indicator is not None and f.indicator.code == indicator.code]
    if chosen:
        tables["trend"] = trend_table(chosen[0])
    tables["pyramid"] = pyramid_table(division)
    tables["levels"] = levels_table(division, figures)
    tables["services"] = services_table(division, current_month(), figures)
    if indicator is not None and division.children.exists():
        tables["ranking"] = ranking_table(
            actor=actor, indicator=indicator, division=division, notes=notes
        )
    if indicator is not None:
        providers = providers_table(actor=actor, indicator=indicator, division=division)
        if providers is not None:
            tables["providers"] = providers
    return figures, tables


def workbook(tables: list[Table], *, title: str) -> bytes:
    """One sheet per table; numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title))
        sheet.append(safe_row([title]))
        sheet.append(safe_row([table.title]))
        sheet.append(safe_row(table.columns))
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(safe_row(_cell(value) for value in row))
        for names, sentence in table.notes:
            sheet.append(safe_row([names, sentence]))
        for index, _column in enumerate(table.columns, start=1):
            sheet.column_dimensions[chr(64 + min(index, 26))].width = 24 if index == 1 else 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        plain = value.replace(",", "")
        try:
            return float(plain) if "." in plain else int(plain)
        except ValueError:
            return value
    return value


def _sheet_name(title: str) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return title[:31]
