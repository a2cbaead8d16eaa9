from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiyang.accounts.choices import ROLE_HELP
from yiyang.core.permissions import Permission, Role, has_perm, permissions_of
from yiyang.core.selectors import audit_event_list, division_roots
from yiyang.organisations.selectors import organisation_list, organisation_summary


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    """Each role's start page: what that role works on, within its scope."""
    user: Any = request.user
    context: dict[str, Any] = {
        "role_label": Role(user.role).label,
        "role_help": ROLE_HELP[user.role],
        "permissions": permissions_of(user.role),
    }
    if has_perm(user, Permission.VIEW_ORGANISATIONS):
        context["summary"] = organisation_summary(actor=user)
    if has_perm(user, Permission.VIEW_DIVISIONS):
        context["roots"] = list(division_roots(actor=user))
    if user.organisation_id and has_perm(user, Permission.VIEW_ORGANISATIONS):
        context["own_organisations"] = list(organisation_list(actor=user)[:20])
    if has_perm(user, Permission.VIEW_AUDIT_LOG):
        context["recent_events"] = list(audit_event_list(actor=user)[:10])
    return render(request, "accounts/home.html", context)
