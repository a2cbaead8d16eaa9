"""Two-factor enforcement: a user whose logins need a TOTP code reaches nothing else
until they have given one (or, the first time, enrolled an authenticator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from yiyang.accounts.choices import OTP_SESSION_FLAG as SESSION_FLAG
from yiyang.accounts.models import User
from yiyang.accounts.services import user_needs_otp

# Only what it takes to finish (or abandon) the login; everything else needs the second factor.
EXEMPT_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/2fa/",
    "/i18n/",
    "/static/",
    "/healthz",
    "/api/v1/auth/token/",
    "/api/v1/schema/",
    "/api/v1/docs/",
)


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not user.is_verified()  # type: ignore[attr-defined]
            # Token-authenticated API calls proved the second factor when the token was issued.
            and not request.META.get("HTTP_AUTHORIZATION", "").startswith("Token ")
            and self._needs_otp(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Complete two-factor authentication first.")}, status=403
                )
            return redirect("accounts:otp")
        return self.get_response(request)

    @staticmethod
    def _needs_otp(request: HttpRequest) -> bool:
        # Cached in the session: asked once per login, not once per request.
        cached = request.session.get(SESSION_FLAG)
        if cached is None:
            cached = user_needs_otp(cast(User, request.user))
            request.session[SESSION_FLAG] = cached
        return bool(cached)
