"""What list and detail pages share: the filters a list form submits, cleaned of empty values,
and a stored code shown by its translated label."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import TextChoices
from django.http import QueryDict


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
