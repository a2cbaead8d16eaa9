from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yiyang.core.permissions import Permission, Role, has_perm, request_actor

NAV = [
    ("home", _("Home"), None),
    ("dashboard:home", _("Dashboard"), Permission.VIEW_INDICATORS),
    ("divisions:tree", _("Divisions"), Permission.VIEW_DIVISIONS),
    ("organisations:list", _("Organisations"), Permission.VIEW_ORGANISATIONS),
    ("facilities:list", _("Facilities"), Permission.VIEW_FACILITIES),
    ("meals:index", _("Meals"), Permission.VIEW_MEALS),
    ("elders:list", _("Elders"), Permission.VIEW_ELDERS),
    ("assessments:list", _("Ability assessments"), Permission.VIEW_ASSESSMENTS),
    ("visits:my-day", _("My visits"), Permission.PERFORM_VISITS),
    ("visits:board", _("Dispatch board"), Permission.DISPATCH_VISITS),
    ("visits:review-queue", _("Visit review"), Permission.REVIEW_VISITS),
    ("visits:orders", _("Orders"), Permission.PLACE_ORDERS),
    ("services:caregivers", _("Caregivers"), Permission.VIEW_CAREGIVERS),
    ("workforce:roster", _("Caregiver roster"), Permission.VIEW_CAREGIVERS),
    ("workforce:me", _("My training record"), Permission.ATTEND_TRAINING),
    ("family:home", _("My family"), Permission.RATE_VISITS),
    ("settlement:bill", _("Monthly bill"), Permission.VIEW_OWN_BILL),
    ("alerts:console", _("Alert centre"), Permission.VIEW_ALERTS),
    ("devices:list", _("Devices"), Permission.VIEW_DEVICES),
    ("supervision:ratings", _("Star ratings"), Permission.VIEW_RATINGS),
    ("supervision:complaints", _("Complaint register"), Permission.VIEW_COMPLAINTS),
    ("supervision:inspections", _("Safety inspections"), Permission.VIEW_INSPECTIONS),
    ("supervision:evaluations", _("Service evaluations"), Permission.VIEW_RATINGS),
    ("supervision:scorecard", _("District scorecards"), Permission.VIEW_SCORECARDS),
    ("settlement:statements", _("Settlement"), Permission.VIEW_SETTLEMENT),
    ("accounts:user-list", _("Users"), Permission.VIEW_USERS),
    ("accounts:roles", _("Roles"), Permission.VIEW_USERS),
    ("audit:list", _("Audit log"), Permission.VIEW_AUDIT_LOG),
]

# Roles that hold a menu entry's permission but do not get the entry: a caregiver may open
# the page of the provider they work for (linked from their home page), but a list of one
# organisation is no place to go from a caregiver's phone menu.
NAV_HIDDEN_FOR = {"organisations:list": {Role.CAREGIVER}}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    actor = request_actor(request)
    for url_name, label, permission in NAV:
        if actor.role in NAV_HIDDEN_FOR.get(url_name, ()):
            continue
        if permission is None or has_perm(actor, permission):
            url = reverse(url_name)
            active = request.path == url if url == "/" else request.path.startswith(url)
            items.append({"url": url, "label": label, "active": active})
    return {"nav_items": items}
