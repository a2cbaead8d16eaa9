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
    """Leaflet's stylesheet and script, the tile server the settings name (maybe none) and,
    for maps without one, where the vector basemap (division outlines, roads) comes from."""
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    try:
        basemap_url = reverse("dashboard:basemap")
    except NoReverseMatch:  # pragma: no cover - the dashboard's URLs are always installed
        basemap_url = ""
    return {
        "map_config": {
            "tileUrl": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "basemapUrl": basemap_url,
        }
    }
