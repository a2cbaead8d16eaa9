"""A file the API hands out for saving (an export, a report), named by the endpoint."""

from __future__ import annotations

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """``data`` as an attachment the client saves as ``filename`` (an ASCII name)."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
