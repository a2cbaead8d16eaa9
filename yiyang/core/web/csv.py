"""Streaming CSV exports (UTF-8 with BOM so that Excel opens Chinese text correctly). Every
cell, header included, goes through :func:`yiyang.core.cells.safe_cell` (formula injection)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from yiyang.core.cells import safe_row
from yiyang.core.downloads import disposition
from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.services import export_recorded

# A column of a list export: its header, read as the attribute path of the same name
# ("division.code"; a missing link gives an empty cell), or (header, path or function).
Column = str | tuple[str, str | Callable[[Any], Any]]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def generate() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(safe_row(header))
        for row in rows:
            yield writer.writerow(safe_row(row))

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = disposition(filename)
    return response


def export_view_response(
    request: HttpRequest,
    *,
    permission: Permission,
    queryset: QuerySet[Any],
    filename: str,
    header: Sequence[str],
    row: Callable[[Any], Sequence[Any]],
) -> StreamingHttpResponse:
    """The shared shape of every list export: check, audit, stream."""
    actor = request_actor(request)
    require_perm(actor, permission)
    export_recorded(
        actor=actor,
        permission=permission,
        object_type=queryset.model._meta.label_lower,
        count=queryset.count(),
        filters=dict(request.GET.lists()),
    )
    return csv_response(
        filename, header, (row(item) for item in queryset.iterator(chunk_size=2000))
    )


def _cell(item: Any, path: str) -> Any:
    value = item
    for name in path.split("."):
        if value is None:
            return None
        value = getattr(value, name)
    return value


def _header_and_row(
    columns: Sequence[Column],
) -> tuple[list[str], Callable[[Any], list[Any]]]:
    pairs = [(c, c) if isinstance(c, str) else c for c in columns]

    def row(item: Any) -> list[Any]:
        return [
            _cell(item, cell) if isinstance(cell, str) else cell(item) for _header, cell in pairs
        ]

    return [header for header, _cell_of in pairs], row


def list_export_view(
    *,
    permission: Permission,
    rows: Callable[..., QuerySet[Any]],
    filename: str,
    columns: Sequence[Column],
) -> Callable[[HttpRequest], StreamingHttpResponse]:
    """The view exporting a list page's rows as CSV: the permission checked first, then the
    list's selector ``rows(actor=..., filters=...)`` filtered like the page, the ``columns``
    declared once with their headers, audited by :func:`export_view_response`."""
    header, row = _header_and_row(columns)

    @login_required
    def view(request: HttpRequest) -> StreamingHttpResponse:
        actor = request_actor(request)
        require_perm(actor, permission)
        return export_view_response(
            request,
            permission=permission,
            queryset=rows(actor=actor, filters=request.GET),
            filename=filename,
            header=header,
            row=row,
        )

    return view
