"""The statement (.xlsx) and the payment file of a release (.xlsx and .csv). Totals are
the statements' own, which are the sums of their lines: the files reconcile exactly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from yiyang.core.cells import safe_row
from yiyang.settlement.display import hold_text, line_labels, package_text
from yiyang.settlement.models import Release, Statement, StatementLine
from yiyang.settlement.sources import source_label

MONEY_FORMAT = "#,##0.00"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _money_columns(sheet: object, columns: Iterable[int], first_row: int) -> None:
    for row in sheet.iter_rows(min_row=first_row):  # type: ignore[attr-defined]
        for index in columns:
            row[index].number_format = MONEY_FORMAT


def _header(statement: Statement) -> list[tuple[str, str]]:
    contract = statement.contract
    header = [
        (_("Provider"), statement.provider.name),
        (_("Contract"), contract.number),
        (_("Month"), f"{statement.month:%Y-%m}"),
        (_("Status"), str(statement.get_status_display())),
    ]
    if contract.package_yuan is not None:
        header.append((_("Monthly package"), package_text(contract)))
    return header


def _line_columns() -> list[str]:
    return [
        _("Line"),
        *line_labels(),
        _("Long-term-care insurance (yuan)"),
        _("Self-pay (yuan)"),
        _("Payable (yuan)"),
        _("Status"),
        _("Held because"),
    ]


def _line_row(n: int, line: StatementLine, reasons: list[str]) -> list[object]:
    return safe_row(
        [
            n,
            source_label(line.source_kind),
            line.date,
            line.elder.name if line.elder else "",
            line.description,
            line.caregiver.name if line.caregiver else "",
            line.price_yuan,
            line.allowance_yuan,
            line.ltc_yuan,
            line.self_pay_yuan,
            line.payable_yuan,
            str(line.get_status_display()),
            "；".join(reasons),
        ]
    )


def _hold_rows(n: int, line: StatementLine, reasons: list[str]) -> list[list[object]]:
    """One row per hold reason of a line, with the line's last decision."""
    decisions = list(line.decisions.all())
    last = decisions[-1] if decisions else None
    decision = str(last.get_decision_display()) if last else ""
    given = last.reason if last else ""
    return [safe_row([n, reason, decision, given]) for reason in reasons]


def _total_row(statement: Statement) -> list[object]:
    money = [
        statement.price_yuan,
        statement.allowance_yuan,
        statement.ltc_yuan,
        statement.self_pay_yuan,
        statement.payable_yuan,
    ]
    return safe_row([_("Total"), "", "", "", "", "", *money, "", ""])


def statement_xlsx(statement: Statement, lines: Iterable[StatementLine]) -> bytes:
    """One sheet of lines under a header, with the statement's totals; a second of holds."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Statement")
    for label, value in _header(statement):
        sheet.append(safe_row([label, value]))
    sheet.append([])
    sheet.append(safe_row(_line_columns()))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    first = sheet.max_row + 1
    holds = book.create_sheet(_("Holds"))
    holds.append(safe_row([_("Line"), _("Reason"), _("Decision"), _("Reason given")]))
    for n, line in enumerate(lines, start=1):
        reasons = [hold_text(h.reason, h.detail) for h in line.holds.all()]
        sheet.append(_line_row(n, line, reasons))
        for row in _hold_rows(n, line, reasons):
            holds.append(safe_row(row))
    sheet.append(_total_row(statement))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    _money_columns(sheet, range(6, 11), first)
    sheet.append([])
    sheet.append(safe_row([_("Held (yuan)"), statement.held_yuan]))
    sheet.append(safe_row([_("Reduced or rejected (yuan)"), statement.withheld_yuan]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def payment_rows(
    release: Release, statements: Iterable[Statement]
) -> tuple[list[str], list[list[object]], Decimal]:
    columns = [
        _("Release"),
        _("Provider"),
        _("Licence number"),
        _("Contract"),
        _("Month"),
        _("Statement"),
        _("Amount (yuan)"),
    ]
    rows: list[list[object]] = []
    total = Decimal("0.00")
    for statement in statements:
        rows.append(
            safe_row(
                [
                    release.number,
                    statement.provider.name,
                    statement.provider.licence_number,
                    statement.contract.number,
                    f"{statement.month:%Y-%m}",
                    str(statement.external_id),
                    statement.payable_yuan,
                ]
            )
        )
        total += statement.payable_yuan
    return columns, rows, total


def payment_xlsx(release: Release, statements: Iterable[Statement]) -> bytes:
    columns, rows, total = payment_rows(release, statements)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Payment file")
    sheet.append(safe_row(columns))
    for row in rows:
        sheet.append(safe_row(row))
    sheet.append(safe_row([_("Total"), "", "", "", "", "", total]))
    _money_columns(sheet, [6], 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def payment_csv(release: Release, statements: Iterable[Statement]) -> str:
    columns, rows, total = payment_rows(release, statements)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(columns))
    writer.writerows(safe_row(row) for row in rows)
    writer.writerow(safe_row([_("Total"), "", "", "", "", "", total]))
    return out.getvalue()


def payment_file(
    release: Release, statements: Iterable[Statement], *, as_csv: bool
) -> HttpResponse:
    """The release's payment file to download, a workbook or (``as_csv``) CSV: the same
    for the page and the API."""
    if as_csv:
        data: bytes | str = payment_csv(release, statements)
        content_type, suffix = "text/csv; charset=utf-8", "csv"
    else:
        data, content_type, suffix = payment_xlsx(release, statements), XLSX, "xlsx"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="payment-{release.number}.{suffix}"'
    return response


def attachment(data: bytes, name: str, content_type: str) -> HttpResponse:
    """A file to download, never rendered inline nor sniffed, never cached shared."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
