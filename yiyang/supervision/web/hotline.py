"""The 12345 hotline import page: the call centre uploads the hotline's export (.xlsx or
.csv) and gets either every work order in the register or the row-level report of what
refused the file (the same service as ``yiyang import-12345``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.web.forms import error_text
from yiyang.core.web.uploads import upload_on_disk
from yiyang.supervision.services.hotline import COLUMNS, HotlineReport, hotline_import

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ERRORS_SHOWN = 200


def _import(request: HttpRequest) -> HotlineReport | None:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return None
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than 20 MB."))
        return None
    with upload_on_disk(upload) as path:
        try:
            return hotline_import(actor=request_actor(request), path=path, filename=upload.name)
        except ValidationError as error:
            messages.error(request, error_text(error))
            return None


@login_required
def hotline_import_view(request: HttpRequest) -> HttpResponse:
    require_perm(request_actor(request), Permission.REGISTER_COMPLAINTS)
    report = _import(request) if request.method == "POST" else None
    if report is not None and not report.errors:
        messages.success(
            request,
            _("%(n)d work orders entered in the complaint register.") % {"n": report.imported},
        )
    columns = {key: names[0] for key, names in COLUMNS.items()}
    return render(
        request,
        "supervision/hotline_import.html",
        {
            "report": report,
            "errors": report.errors[:ERRORS_SHOWN] if report else [],
            "columns": columns,
        },
    )
