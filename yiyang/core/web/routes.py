"""Where a resource's pages live and what they are called: one rule for the apps' page URLs.

A resource's pages live below its prefix: its list at the prefix itself, the form for a new
one at ``new/``, its CSV export at ``export.csv``, one of them at ``<uuid:external_id>/`` and
every other page of one of them (its form, its history, an action on it) at
``<uuid:external_id>/<page>/``. A page's view is ``<stem>_<page>_view`` in the views module
given; a resource whose edit view also makes a new one (called without an id) has no create
view of its own. A page's URL name is the page, after ``<name>-`` for a resource that shares
its app's namespace with others (``user-list``, ``user-edit``).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from django.http import HttpResponseBase
from django.urls import URLPattern, path

# The object the pages of one resource are about: public identifiers are UUIDs.
OBJECT = "<uuid:external_id>/"

# The pages that have a path of their own; every other page is one of an object's.
OWN_PATHS = {"list": "", "create": "new/", "export": "export.csv", "detail": OBJECT}


def page_path(page: str) -> str:
    """Where a resource's page lives below the resource's prefix."""
    return OWN_PATHS.get(page, f"{OBJECT}{page}/")


def page_view(views: ModuleType, stem: str, page: str) -> Callable[..., HttpResponseBase]:
    """The view of a resource's page: ``<stem>_<page>_view``; the edit view makes a new one
    when the module has no create view. A missing view fails at start-up (AttributeError)."""
    if page == "create" and not hasattr(views, f"{stem}_create_view"):
        page = "edit"
    view: Callable[..., HttpResponseBase] = getattr(views, f"{stem}_{page}_view")
    return view


def resource_pages(
    views: ModuleType, stem: str, *pages: str, prefix: str = "", name: str = ""
) -> list[URLPattern]:
    """The routes of these pages of one resource, in the order given (see the module's
    docstring for the paths, views and names)."""
    return [
        path(prefix + page_path(page), page_view(views, stem, page), name=_name(name, page))
        for page in pages
    ]


def _name(resource: str, page: str) -> str:
    return f"{resource}-{page}" if resource else page
