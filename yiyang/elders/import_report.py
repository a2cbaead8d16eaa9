"""What an import reports: its rejected rows as a workbook, kept to a limit that is said."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from yiyang.core.cells import safe_row

REPORT_LIMIT = 100_000  # problems kept for the report (IMPORT_REPORT_LIMIT overrides)


class ReportedError(Protocol):
    @property
    def row(self) -> int: ...
    @property
    def column(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def reason(self) -> str: ...


def report_limit() -> int:
    return int(getattr(settings, "IMPORT_REPORT_LIMIT", REPORT_LIMIT))


def truncation_note(limit: int, unlisted: int) -> str:
    return _(
        "The error report is truncated: it lists the first %(limit)d problems; %(more)d more "
        "were found but are not listed. Correct these and import again to see the rest."
    ) % {"limit": limit, "more": unlisted}


def report_xlsx(errors: Iterable[ReportedError], *, message: str, warnings: Sequence[str]) -> bytes:
    """Row, column, value, reason; then the job's message and warnings (a truncated report
    says so there). Every cell goes through the formula escape."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rejected rows"))
    sheet.append(safe_row([_("Row"), _("Column"), _("Value"), _("Reason")]))
    for error in errors:
        sheet.append(safe_row([error.row, error.column, error.value, error.reason]))
    for note in ([message] if message else []) + list(warnings):
        sheet.append(safe_row(["", "", "", note]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
