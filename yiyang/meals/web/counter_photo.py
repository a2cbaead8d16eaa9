"""The elder's photo on the counter's screen, so the staff confirm whom they serve: only
an elder booked, served or just identified at their canteen today; never cached."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from yiyang.core.downloads import private_response
from yiyang.core.permissions import request_actor
from yiyang.meals import services


@login_required
@require_GET
def counter_photo_view(request: HttpRequest, id: uuid.UUID, elder: uuid.UUID) -> HttpResponse:
    data = services.counter_photo_read(
        actor=request_actor(request),
        canteen_id=id,
        elder_id=elder,
        grant=request.GET.get("grant", ""),
    )
    return private_response(data, "image/jpeg")
