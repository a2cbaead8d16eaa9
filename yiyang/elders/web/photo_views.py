"""The elder's photo: added, replaced or removed on the elder's page by community workers
and officers; served (never from a public URL) to those who may see the elder, each view
in the access log."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiyang.core.downloads import private_response
from yiyang.core.permissions import request_actor
from yiyang.core.web.saving import action_done
from yiyang.elders.photos import elder_photo_read, elder_photo_remove, elder_photo_set
from yiyang.elders.selectors import elder_get_for_actor


@login_required
@require_http_methods(["GET", "POST"])
def elder_photo_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    elder = elder_get_for_actor(actor=actor, external_id=external_id)
    if request.method == "GET":
        return private_response(elder_photo_read(actor=actor, elder=elder), "image/jpeg")
    if request.POST.get("remove"):
        remove = partial(elder_photo_remove, actor=actor, elder=elder)
        action_done(request, remove, _("The photo was removed."))
    else:
        upload = request.FILES.get("photo")
        data = upload.read() if upload is not None else b""
        save = partial(elder_photo_set, actor=actor, elder=elder, data=data)
        action_done(request, save, _("The photo was saved."))
    return redirect("elders:detail", external_id=elder.external_id)
