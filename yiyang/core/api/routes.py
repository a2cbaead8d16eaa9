"""The API's collections and how they are routed: one rule for every app's API URL conf.

Each collection is a viewset registered at a path under a base name, through DRF's
``SimpleRouter`` (no API root page, a trailing slash): ``<basename>-list`` at ``<path>/`` and
``<basename>-detail`` at ``<path>/<id>/``, plus each of the viewset's extra actions. An app
whose collections share a path and a name gives them once (``prefix="workforce/"``,
``name="workforce"``: ``workforce/courses/``, ``workforce-course-list``).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter
from rest_framework.viewsets import ViewSetMixin

# One collection: (its path, its viewset, its base name).
Collection = tuple[str, type[ViewSetMixin], str]


def collection_routes(
    *collections: Collection, prefix: str = "", name: str = ""
) -> list[URLPattern | URLResolver]:
    """The routes of these collections, in the order given."""
    router = SimpleRouter()
    for path, viewset, basename in collections:
        router.register(prefix + path, viewset, basename=f"{name}-{basename}" if name else basename)
    return router.urls
