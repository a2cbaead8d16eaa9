"""Failed-login lockout (django-axes): what a locked-out login gets (a page for people, JSON
for the API) and how failures are counted (per pair, per username, per address)."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiyang.accounts.choices import LOCKED_STATUS


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    message = _("Too many failed logins: this account is locked for a while.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=LOCKED_STATUS)
    return render(request, "accounts/locked_out.html", {"message": message}, status=LOCKED_STATUS)


class LayeredLockoutHandler(AxesDatabaseHandler):
    """django-axes with one limit per way of counting failures.

    ``AXES_LOCKOUT_PARAMETERS`` lists (username, address), username and address; axes compares
    the largest count with one ``AXES_FAILURE_LIMIT``. Each count is scaled here to that limit
    (``count * limit // own_limit``), so a login is locked as soon as any one count reaches its
    own limit: 5 for the pair, ``LOGIN_FAILURE_LIMIT_PER_USERNAME`` for one account tried from
    anywhere, ``LOGIN_FAILURE_LIMIT_PER_ADDRESS`` for one address trying many accounts."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        limit = int(settings.AXES_FAILURE_LIMIT)
        own_limits = [
            limit,
            int(settings.LOGIN_FAILURE_LIMIT_PER_USERNAME),
            int(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS),
        ]
        score = 0
        for attempts, own in zip(
            self.get_user_attempts(request, credentials), own_limits, strict=False
        ):
            count = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            score = max(score, count * limit // max(own, 1))
        return score
