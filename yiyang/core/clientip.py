"""The client's address, read one way for the lockout, the throttles and the audit log.

``X-Forwarded-For`` is chosen by whoever sends the request, so it is trusted only as far as
the operator says proxies stand in front (``PROXY_COUNT``): with N trusted proxies the client
is the address the outermost of them appended, the Nth entry from the right. With no proxy
(the default) the address is the connection's own, ``REMOTE_ADDR``, whatever the headers say.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(text: str) -> str | None:
    candidate = text.strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client that sent ``request`` (see the module docstring)."""
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    proxies = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") or ""
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < proxies:
        # Fewer hops than proxies: the request did not come through all of them (a direct
        # hit on an inner proxy or on the application); the connection's address is the truth.
        return remote
    return _valid(hops[-proxies]) or remote
