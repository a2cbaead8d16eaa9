"""Files the API hands out: one for saving (an export, a report), named by the endpoint;
an image of a person, shown and never cached."""

from __future__ import annotations

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """``data`` as an attachment the client saves as ``filename`` (an ASCII name)."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def personal_image(data: bytes, content_type: str = "image/jpeg") -> HttpResponse:
    """An image of a person shown inline (an elder's photo): personal data, so never kept
    by a shared cache or the browser's disk cache."""
    response = HttpResponse(data, content_type)
    response["Cache-Control"] = "private, no-store"
    return response
