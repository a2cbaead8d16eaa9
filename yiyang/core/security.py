"""Response headers every page, API answer and export gets (Django 5.2 has no CSP of its own).

- ``Content-Security-Policy``: scripts, styles, fonts, frames and connections from this site
  only; no inline script, no inline style, no ``eval``; images from this site, ``data:``/
  ``blob:`` (map markers, charts) and the map tile server. A template that truly needs an
  inline ``<script>`` gives it ``nonce="{{ request.csp_nonce }}"``; the nonce is made per
  request and only listed in the policy when a template asked for it.
- ``Cache-Control: no-store`` on every response to a signed-in user, on every API answer and
  on every download, so that no browser, proxy or shared computer keeps personal data.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

NO_STORE = "no-store"


def _tile_origin() -> list[str]:
    url = str(getattr(settings, "MAP_TILE_URL", "") or "")
    parts = urlsplit(url.replace("{s}", "a"))
    if not parts.scheme or not parts.netloc:
        return []
    host = parts.netloc
    if "{s}" in url:  # Leaflet's subdomains a/b/c
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return [f"{parts.scheme}://{host}"]


def content_security_policy(nonce: str | None = None) -> str:
    """The policy text; ``nonce`` is listed for scripts when a page used one."""
    scripts = ["'self'"] + ([f"'nonce-{nonce}'"] if nonce else [])
    images = ["'self'", "data:", "blob:", *_tile_origin(), *settings.CSP_EXTRA_IMG_SOURCES]
    directives = [
        ("default-src", ["'self'"]),
        ("script-src", scripts),
        ("style-src", ["'self'"]),
        ("img-src", images),
        ("font-src", ["'self'", "data:"]),
        ("connect-src", ["'self'"]),
        ("media-src", ["'self'", "data:"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'none'"]),
        ("form-action", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
    ]
    if settings.CSP_REPORT_URI:
        directives.append(("report-uri", [settings.CSP_REPORT_URI]))
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives)


def _carries_personal_data(request: HttpRequest, response: HttpResponse) -> bool:
    user = getattr(request, "user", None)
    return bool(
        (user is not None and user.is_authenticated)
        or request.path.startswith("/api/")
        or "attachment" in response.get("Content-Disposition", "")
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        made: list[str] = []

        def make_nonce() -> str:
            made.append(secrets.token_urlsafe(16))
            return made[0]

        request.csp_nonce = SimpleLazyObject(make_nonce)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(made[0] if made else None)
        if _carries_personal_data(request, response):
            response["Cache-Control"] = NO_STORE
            response.headers.pop("Expires", None)
        return response
