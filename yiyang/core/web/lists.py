"""What list and detail pages share: the page of the list a request asks for, the list page
itself, the filters a list form submits, cleaned of empty values, and a stored code shown by
its translated label."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import TextChoices
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

PAGE_SIZE = 50


def page_of(
    request: HttpRequest,
    rows: Any,
    per_page: int = PAGE_SIZE,
    *,
    paginator: type[Paginator] = Paginator,
) -> Page:
    """The page of ``rows`` the request asks for (``?page=``; the last one past the end,
    the first one for anything that is not a page number)."""
    return paginator(rows, per_page).get_page(request.GET.get("page"))


def list_response(
    request: HttpRequest,
    template: str,
    rows: Any,
    context: Mapping[str, Any] | None = None,
    *,
    per_page: int = PAGE_SIZE,
    paginator: type[Paginator] = Paginator,
) -> HttpResponse:
    """A list page: ``rows`` (as the list's selector filtered them) a page at a time,
    rendered as ``page`` with ``context``."""
    page = page_of(request, rows, per_page, paginator=paginator)
    return render(request, template, {"page": page, **(context or {})})


def clean_filters(query: QueryDict, *, ignore: Collection[str] = ("page",)) -> QueryDict:
    """The list filters without empty values (an "All" option submits an empty one) and
    without the page's own parameters (``ignore``)."""
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [v for v in values if v.strip()]
        if kept and key not in ignore:
            cleaned.setlist(key, kept)
    return cleaned


def code_label(choices: type[TextChoices], value: Any) -> str:
    """The translated label of a code (the code itself when unknown)."""
    return str(choices(value).label) if value in choices.values else str(value)
