from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

register = template.Library()


@register.simple_tag
def query_with(request: HttpRequest, **changes: Any) -> str:
    """The current query string with some parameters replaced (keeps the filters when paging)."""
    query = request.GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.inclusion_tag("core/_map_assets.html")
def map_assets() -> dict[str, Any]:
    """Leaflet's stylesheet and script, and the tile server the settings name (maybe none)."""
    from django.conf import settings

    return {
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
