"""Files the pages and the API hand out (workbooks, PDFs, images): one way to name them, so
that every download is a download (``attachment``) unless it is meant to be shown, and one
way to keep a person's image out of every cache."""

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


def private_response(content: bytes, content_type: str = "image/jpeg") -> HttpResponse:
    """Personal data (an elder's photo) to be shown: never kept by a shared cache or the
    browser's disk cache."""
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
