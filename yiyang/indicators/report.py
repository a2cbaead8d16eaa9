"""The monthly report: the division's indicators against targets, trend charts, the ranking
of its sub-divisions and the month's notable events (missed visits, alert answer times,
flags, complaints), as a PDF in Chinese with the font embedded (WenQuanYi Micro Hei subset,
Apache-2.0, so it prints on a machine without Chinese fonts) or as .xlsx, one sheet a table.

``report_build`` reads through the scoped selectors and records the export in the audit log.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.cells import safe_row
from yiyang.core.choices import AuditAction
from yiyang.core.fonts import CJK_FONT_FILE
from yiyang.core.indicators import EMPTY, IndicatorValue, format_number
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.indicators.selectors import (
    STATUS_LABELS,
    Figure,
    dashboard_figures,
    division_ranking,
    indicator_get,
    month_add,
    month_check,
    sub_divisions,
    values_over_months,
)

FONT_FILE = CJK_FONT_FILE
FONT_NAME = "YiyangReportCJK"
FORMATS = ("pdf", "xlsx")
# The sub-divisions' ranking and the trends show these indicators.
RANKING_CODES = (
    "registered_elders",
    "station_coverage",
    "visits_delivered",
    "visits_missed_share",
    "alerts_answered_60s",
    "caregivers_per_1000",
)
TREND_CODES = ("visits_delivered", "alerts", "registered_elders")
EVENT_CODES = (
    "visits_planned",
    "visits_delivered",
    "visits_missed",
    "visits_missed_share",
    "visits_late",
    "visits_flagged",
    "complaints",
    "alerts",
    "alerts_answered_60s",
    "alerts_answered_180s",
    "alerts_answer_median",
    "alerts_answer_p90",
)
TREND_MONTHS = 12


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]


@dataclass
class ReportData:
    title: str
    subtitle: str
    tables: list[Table]
    trends: list[tuple[str, list[tuple[str, float | None]]]]


def _value(value: IndicatorValue | Decimal | None) -> str:
    if isinstance(value, IndicatorValue):
        return value.display
    return EMPTY if value is None else format_number(value)


def _figure_row(figure: Figure) -> list[Any]:
    yoy = figure.year_on_year
    return [
        str(figure.indicator.name),
        _value(figure.value),
        figure.indicator.unit_label,
        _value(figure.target),
        str(STATUS_LABELS[figure.status]) if figure.status else EMPTY,
        EMPTY if yoy is None else f"{yoy:+}",
    ]


def report_data(*, actor: Actor, month: datetime.date, division: Division) -> ReportData:
    """The report's tables and trend series (read through the scoped selectors)."""
    month = month_check(month)
    figures = dashboard_figures(actor=actor, division=division, month=month, trend_months=0)
    main = [f for f in figures if f.indicator.order < 200]
    by_code = {f.indicator.code: f for f in figures}
    header = [_("Indicator"), _("Value"), _("Unit"), _("Target"), _("Status"), _("Year on year")]
    tables = [
        Table(_("Indicators against targets"), header, [_figure_row(f) for f in main]),
        Table(
            _("Notable events of the month"),
            header,
            [_figure_row(by_code[c]) for c in EVENT_CODES if c in by_code]
            + [
                _figure_row(f)
                for f in figures
                if f.indicator.code.startswith("visit_flags_") and f.value.value
            ],
        ),
    ]
    children = list(sub_divisions(division))
    if children:
        columns = [
            indicator_get(code)
            for code in RANKING_CODES
            if children[0].level in indicator_get(code).levels
        ]
        order = division_ranking(actor=actor, code=columns[0].code, parent=division, month=month)
        values = {c.code: values_over_months(c, [month], children) for c in columns}
        rows = [
            [div.name] + [_value(values[c.code].get((month, div.pk))) for c in columns]
            for div, _v in order
        ]
        tables.append(
            Table(
                _("Ranking of the sub-divisions"),
                [_("Division")] + [f"{c.name} ({c.unit_label})" for c in columns],
                rows,
            )
        )
    months = [month_add(month, -i) for i in range(TREND_MONTHS - 1, -1, -1)]
    trends = []
    trend_rows: list[list[Any]] = []
    for code in TREND_CODES:
        indicator = indicator_get(code)
        series = values_over_months(indicator, months, [division])
        found = [series.get((m, division.pk), IndicatorValue(None)) for m in months]
        points = [
            (f"{m:%Y-%m}", None if v.value is None else float(v.value))
            for m, v in zip(months, found, strict=True)
        ]
        trends.append((f"{indicator.name} ({indicator.unit_label})", points))
        trend_rows.append([str(indicator.name)] + [v.display for v in found])
    tables.append(
        Table(
            _("Trends over twelve months"),
            [_("Indicator")] + [f"{m:%Y-%m}" for m in months],
            trend_rows,
        )
    )
    return ReportData(
        title=_("%(division)s elderly care: monthly report") % {"division": division.name},
        subtitle=_("%(month)s · generated %(at)s")
        % {
            "month": f"{month:%Y-%m}",
            "at": f"{timezone.localtime():%Y-%m-%d %H:%M}",
        },
        tables=tables,
        trends=trends,
    )


def report_build(
    *, actor: Actor, month: datetime.date, division: Division, fmt: str = "pdf"
) -> bytes:
    """The monthly report of a division in the actor's jurisdiction, in Chinese, as PDF or
    .xlsx; the export is audited."""
    require_perm(actor, Permission.VIEW_INDICATORS)
    if fmt not in FORMATS:
        raise ValidationError({"format": _("Choose pdf or xlsx.")})
    with translation.override("zh-hans"):
        data = report_data(actor=actor, month=month, division=division)
        content = _pdf(data) if fmt == "pdf" else _xlsx(data)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type="indicators.report",
            object_repr=f"monthly report {month:%Y-%m} {division.code} ({fmt})",
            division_code=division.code,
        )
    return content


# --------------------------------------------------------------------------------------
# Rendering


def _xlsx(data: ReportData) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for index, table in enumerate(data.tables, 1):
        sheet = book.create_sheet(f"{index} {table.title}"[:31])
        sheet.append(safe_row([data.title]))
        sheet.append(safe_row([data.subtitle]))
        sheet.append([])
        sheet.append(safe_row(table.header))
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(safe_row(str(v) for v in row))
        sheet.column_dimensions["A"].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE)))


def _pdf(data: ReportData) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    from yiyang.core.pdf import pdf_document

    _register_font()
    title = ParagraphStyle("title", fontName=FONT_NAME, fontSize=16, leading=22)
    heading = ParagraphStyle("heading", fontName=FONT_NAME, fontSize=12, leading=18, spaceBefore=6)
    small = ParagraphStyle("small", fontName=FONT_NAME, fontSize=8, leading=10)
    cell = ParagraphStyle("cell", fontName=FONT_NAME, fontSize=7.5, leading=9.5)
    story: list[Any] = [
        Paragraph(data.title, title),
        Paragraph(data.subtitle, small),
        Spacer(1, 4 * mm),
    ]
    for name, points in data.trends:
        story.append(Paragraph(name, heading))
        story.append(_bar_chart(points))
    for table in data.tables:
        story.append(Paragraph(table.title, heading))
        if not table.rows:
            story.append(Paragraph(EMPTY, small))
            continue
        wide = len(table.header) > 7
        style = small if wide else cell
        rows = [[Paragraph(str(v), style) for v in row] for row in [table.header, *table.rows]]
        pdf_table = PdfTable(rows, repeatRows=1, hAlign="LEFT")
        pdf_table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(pdf_table)
    return pdf_document(story, pagesize=A4, margin_mm=14, title=data.title)


def _bar_chart(points: list[tuple[str, float | None]]) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    drawing = Drawing(480, 120)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 20, 430, 90
    chart.data = [[p if p is not None else 0 for _m, p in points]]
    chart.categoryAxis.categoryNames = [m[2:] for m, _p in points]
    chart.categoryAxis.labels.fontName = FONT_NAME
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = FONT_NAME
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#3b6ea8")
    drawing.add(chart)
    return drawing
