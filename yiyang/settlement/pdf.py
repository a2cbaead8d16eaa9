"""The statement as a printable PDF (A4, Chinese): the header, the totals by payer, the
held amount by reason and every line. Drawn with reportlab through
``yiyang.core.pdf`` (its Chinese CID font, text and tables), as the assessment report is. The
totals are the statement's own (the sums of its lines), as in the .xlsx."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table
from reportlab.platypus.flowables import Flowable

from yiyang.core.pdf import cid_font, pdf_document, pdf_table, pdf_text
from yiyang.settlement.choices import HoldReason
from yiyang.settlement.display import line_labels, package_text
from yiyang.settlement.models import Statement, StatementLine
from yiyang.settlement.sources import source_label


def _yuan(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def _table(
    rows: list[list[Any]], widths: list[float], style: ParagraphStyle, *, long: bool = False
) -> Table:
    return pdf_table(rows, widths, style, grid=0.4, long=long)


def statement_pdf(statement: Statement, lines: Iterable[StatementLine]) -> bytes:
    """The statement for printing and signing, with every line the reader may see."""
    font = cid_font()
    body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=21, alignment=1)
    heading = ParagraphStyle("heading", parent=body, fontSize=11, leading=16, spaceBefore=6)
    width = landscape(A4)[0] - 24 * mm
    lines = list(lines)
    contract = statement.contract
    story: list[Flowable] = [
        Paragraph(pdf_text(_("Statement of government-purchased services")), title),
        Spacer(1, 3 * mm),
        _table(
            [
                [_("Provider"), statement.provider.name, _("Contract"), contract.number],
                [
                    _("Month"),
                    f"{statement.month:%Y-%m}",
                    _("Status"),
                    statement.get_status_display(),
                ],
                [
                    _("Payment reference"),
                    statement.payment_reference or "—",
                    _("paid on"),
                    f"{statement.paid_on:%Y-%m-%d}" if statement.paid_on else "—",
                ],
            ],
            [width * 0.15, width * 0.35, width * 0.15, width * 0.35],
            body,
        ),
        Paragraph(pdf_text(_("Totals")), heading),
        _table(
            [
                [
                    _("Lines"),
                    _("value of services (yuan)"),
                    _("Allowance claimed (yuan)"),
                    _("Long-term-care insurance (yuan)"),
                    _("Self-pay (yuan)"),
                    _("Held (yuan)"),
                    _("Reduced or rejected (yuan)"),
                    _("Payable (yuan)"),
                ],
                [
                    statement.lines_count,
                    *(
                        _yuan(v)
                        for v in (
                            statement.price_yuan,
                            statement.allowance_yuan,
                            statement.ltc_yuan,
                            statement.self_pay_yuan,
                            statement.held_yuan,
                            statement.withheld_yuan,
                            statement.payable_yuan,
                        )
                    ),
                ],
            ],
            [width / 8] * 8,
            body,
        ),
    ]
    if contract.package_yuan is not None:
        story.insert(
            3, Paragraph(pdf_text(f"{_('Monthly package')}：{package_text(contract)}"), body)
        )
    story += _hold_summary(lines, body, heading, width)
    story += [Paragraph(pdf_text(_("Lines")), heading), _line_table(lines, body, width)]
    return pdf_document(
        story,
        pagesize=landscape(A4),
        margin_mm=12,
        title=f"{contract.number} {statement.month:%Y-%m}",
    )


def _hold_summary(
    lines: list[StatementLine], body: ParagraphStyle, heading: ParagraphStyle, width: float
) -> list[Flowable]:
    """Held lines by reason: how many, and the allowance they claim."""
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        for hold in line.holds.all():
            counts[hold.reason] += 1
            amounts[hold.reason] += line.allowance_yuan
    if not counts:
        return []
    rows: list[list[Any]] = [[_("Reason"), _("Lines"), _("Allowance claimed (yuan)")]]
    for reason in HoldReason:
        if reason.value in counts:
            rows.append([reason.label, counts[reason.value], _yuan(amounts[reason.value])])
    return [
        Paragraph(pdf_text(_("Held lines by reason")), heading),
        _table(rows, [width * 0.6, width * 0.15, width * 0.25], body),
    ]


def _line_table(lines: list[StatementLine], body: ParagraphStyle, width: float) -> Table:
    rows: list[list[Any]] = [
        [
            "#",
            *line_labels(),
            _("Payable (yuan)"),
            _("Status"),
        ]
    ]
    for n, line in enumerate(lines, start=1):
        rows.append(
            [
                n,
                source_label(line.source_kind),
                f"{line.date:%Y-%m-%d}",
                line.elder.name if line.elder else "",
                line.description,
                line.caregiver.name if line.caregiver else "—",
                _yuan(line.price_yuan),
                _yuan(line.allowance_yuan),
                _yuan(line.payable_yuan),
                line.get_status_display(),
            ]
        )
    shares = [0.05, 0.09, 0.09, 0.1, 0.2, 0.1, 0.09, 0.1, 0.09, 0.09]
    return _table(rows, [width * s for s in shares], body, long=True)


def bill_pdf(bill: Any) -> bytes:
    """An elder's monthly bill for the family to print: each service received, what the
    subsidy covered (or that it is still being settled), insurance and self-pay."""
    font = cid_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=21, alignment=1)
    width = A4[0] - 30 * mm
    rows: list[list[Any]] = [
        [
            _("Date"),
            _("Service"),
            _("Price"),
            _("Subsidy covered"),
            _("Long-term-care insurance"),
            _("Self-pay due"),
        ]
    ]
    for row in bill.rows:
        if row["in_package"]:
            rows.append(
                [
                    f"{row['date']:%Y-%m-%d}",
                    row["service"],
                    _("included in the monthly package"),
                    "",
                    "",
                    "",
                ]
            )
            continue
        subsidy = (
            _yuan(row["subsidy"])
            if row["settled"]
            else (f"{_('pending')} ({_yuan(row['allowance'])})")
        )
        rows.append(
            [
                f"{row['date']:%Y-%m-%d}",
                row["service"],
                _yuan(row["price"]),
                subsidy,
                _yuan(row["ltc"]),
                _yuan(row["self_pay"]),
            ]
        )
    subsidy_total = _yuan(bill.subsidy) + (
        f" + {_('pending')} {_yuan(bill.pending)}" if bill.pending else ""
    )
    rows.append(
        [_("Total"), "", _yuan(bill.price), subsidy_total, _yuan(bill.ltc), _yuan(bill.self_pay)]
    )
    story: list[Flowable] = [
        Paragraph(pdf_text(f"{_('Monthly bill')} · {bill.elder.name} · {bill.month:%Y-%m}"), title),
        Spacer(1, 4 * mm),
        _table(rows, [width * s for s in (0.14, 0.26, 0.12, 0.2, 0.14, 0.14)], body, long=True),
    ]
    return pdf_document(
        story, pagesize=A4, margin_mm=15, title=f"{bill.elder.name} {bill.month:%Y-%m}"
    )
