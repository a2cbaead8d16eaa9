"""Streaming CSV exports (UTF-8 with BOM so that Excel opens Chinese text correctly). Every
cell, header included, goes through :func:`yiyang.core.cells.safe_cell` (formula injection)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from yiyang.core.cells import safe_row
from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.services import export_recorded


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
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
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
