"""The API's answer for a path it does not have (an id that cannot be one, such as
``/api/v1/visits/0.5/``, never reaches a view): JSON like every other API error, not the
site's HTML 404 page."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # nothing is changed: a POST to a missing path is a 404, not a CSRF 403
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    return JsonResponse({"detail": _("Not found.")}, status=404)
