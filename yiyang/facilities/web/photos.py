"""Milestone photos of construction projects: uploaded from the projects page, served only
to those who may see the project."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import request_actor
from yiyang.core.web.forms import error_messages
from yiyang.core.web.saving import action_done
from yiyang.core.web.uploads import posted_file
from yiyang.facilities import selectors, services
from yiyang.facilities.models import ProjectPhoto


@login_required
@require_POST
def project_photo_upload_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    project = selectors.project_get_for_actor(actor=actor, external_id=external_id)

    def add() -> Any:
        upload = posted_file(request, "photo", _("Choose a photo to upload."))
        return services.project_photo_add(
            actor=actor,
            project=project,
            milestone=request.POST.get("milestone", ""),
            data=upload.read(),
            caption=request.POST.get("caption", ""),
        )

    action_done(request, add, _("The photo is added."), wording=error_messages)
    return redirect(f"{reverse('facilities:projects')}?year={project.year}#p-{project.external_id}")


@login_required
@require_GET
def project_photo_view(request: HttpRequest, external_id: str) -> FileResponse:
    actor = request_actor(request)
    photo = get_or_404(ProjectPhoto.objects.select_related("project"), external_id=external_id)
    # The same 404 as a photo that does not exist when the project is out of scope.
    selectors.project_get_for_actor(actor=actor, external_id=photo.project.external_id)
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
