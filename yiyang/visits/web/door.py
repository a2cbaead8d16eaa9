"""The visit page's door section: the map link, the caregiver's door card (phones with
tap-to-call, first emergency contact, health notes), whether the check-in location was
verified, and what the check-out button needs to warn before an implausibly short visit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from yiyang.core import display
from yiyang.core.permissions import request_actor
from yiyang.visits import services
from yiyang.visits.models import Visit


def check_in_verdict(visit: Visit) -> tuple[str, str]:
    """(css class, sentence) saying whether the check-in location was verified."""
    if visit.check_in_at is None:
        return "", ""
    radius = settings.VISIT_CHECK_IN_RADIUS_M
    if visit.check_in_distance is None:
        return "warn", _("No location was taken at check-in: the visit goes to review.")
    values = {"d": display.distance(visit.check_in_distance), "r": display.distance(radius)}
    if visit.check_in_distance <= radius:
        return "ok", _("Check-in location verified: %(d)s from the home (allowed %(r)s).") % values
    return "warn", _(
        "Check-in was %(d)s from the home, beyond the allowed %(r)s: the visit goes to review."
    ) % values


def door_context(request: HttpRequest, visit: Visit) -> dict[str, Any]:
    elder = visit.elder
    located = elder.lat is not None and elder.lng is not None
    verdict_class, verdict = check_in_verdict(visit)
    return {
        "map_url": (
            f"https://uri.amap.com/marker?position={elder.lng},{elder.lat}" if located else ""
        ),
        "door": services.visit_door_card(actor=request_actor(request), visit=visit),
        "check_in_verdict": verdict,
        "check_in_verdict_class": verdict_class,
        # Checking out before this many minutes after check-in asks for a confirmation.
        "short_minutes": max(1, visit.standard_minutes * settings.VISIT_TOO_SHORT_PERCENT // 100),
        "check_in_epoch": int(visit.check_in_at.timestamp()) if visit.check_in_at else "",
    }
