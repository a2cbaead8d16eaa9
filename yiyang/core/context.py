"""Where the current request came from, for audit records written deep inside services."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from yiyang.core.clientip import client_ip


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None = None
    user_agent: str = ""


_NO_ORIGIN = RequestOrigin()
_origin: ContextVar[RequestOrigin] = ContextVar("yiyang_request_origin", default=_NO_ORIGIN)


def current_origin() -> RequestOrigin:
    return _origin.get()


def origin_from_request(request: HttpRequest) -> RequestOrigin:
    # The same address the lockout and the throttles use (PROXY_COUNT honoured there).
    ip = client_ip(request)
    return RequestOrigin(ip_address=ip, user_agent=request.META.get("HTTP_USER_AGENT", "")[:255])


class RequestOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _origin.set(origin_from_request(request))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)
