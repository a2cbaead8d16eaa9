"""What a locked-out login gets: a page for people, JSON for the API (django-axes hook)."""

from __future__ import annotations

from typing import Any

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
