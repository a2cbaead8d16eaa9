"""Files the pages hand to the browser to save (workbooks, PDFs, images): one way to name
them, so that every download is a download (``attachment``) unless a page means to show it."""

from __future__ import annotations

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


def disposition(filename: str, *, inline: bool = False) -> str:
    """The ``Content-Disposition`` of a file saved as ``filename`` (shown by the browser
    itself when ``inline``)."""
    return f'{"inline" if inline else "attachment"}; filename="{filename}"'


def download_response(
    content: bytes | str, filename: str, content_type: str, *, inline: bool = False
) -> HttpResponse:
    """A generated file for the browser to save as ``filename``."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = disposition(filename, inline=inline)
    return response


def private_response(content: bytes, content_type: str) -> HttpResponse:
    """Personal data (an elder's photo) for a page to show: never kept by a shared cache or
    the browser's disk cache."""
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
