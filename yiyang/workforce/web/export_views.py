"""The roster as .xlsx (the filtered list, with the import's headers so a provider can edit
and upload it again) and a caregiver's full ID number shown on request.

Every cell goes through ``core.cells.safe_cell`` (formula injection); full ID numbers go
only to roles allowed to see them, and the export or the reveal is in the audit log.
"""

from __future__ import annotations

import datetime
import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.core.cells import safe_cell, safe_row
from yiyang.core.display import choice_label
from yiyang.core.permissions import Permission, has_perm, request_actor
from yiyang.elders.choices import Sex
from yiyang.services.models import Certificate
from yiyang.workforce import services
from yiyang.workforce.columns import HEADERS
from yiyang.workforce.filtersets import RosterFilterSet
from yiyang.workforce.identity import id_number_of
from yiyang.workforce.models import Employment
from yiyang.workforce.selectors import (
    may_export_roster,
    person_get_for_actor,
    person_record,
    roster_list,
)

MIN_DAY = datetime.date.min
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_COLUMNS = (
    "name", "id_number", "sex", "education", "skill_level", "hired_on", "left_on",
    "leave_reason", "employer", "certificate_number", "certificate_issued_on",
    "certificate_expires_on", "health_certificate_expires_on",
)  # fmt: skip


def _row(employment: Employment, full_ids: bool) -> list[object]:
    person = employment.person
    certificates = list(employment.caregiver.certificates.all())
    latest = max(
        certificates, key=lambda c: (c.expires_on is None, c.expires_on or MIN_DAY, c.pk),
        default=None,
    )  # fmt: skip
    return [
        person.name,
        id_number_of(person) if full_ids else person.id_number_masked,
        choice_label(Sex, person.sex) if person.sex else "",
        person.get_education_display(), person.get_skill_level_display(),
        employment.hired_on, employment.left_on,
        employment.get_leave_reason_display() if employment.left_on else "",
        employment.provider.licence_number or employment.provider.name,
        latest.number if latest else "", latest.issued_on if latest else None,
        latest.expires_on if latest else None, person.health_certificate_expires_on,
    ]  # fmt: skip


@login_required
def roster_export_view(request: HttpRequest) -> FileResponse:
    """The filtered roster as .xlsx (``selectors.may_export_roster``): full ID numbers for
    roles allowed to see them (the export says so in the audit log), masked for others."""
    from openpyxl import Workbook

    actor = request_actor(request)
    if not may_export_roster(actor):
        raise PermissionDenied("export")
    full_ids = has_perm(actor, Permission.SEE_ID_NUMBERS)
    data = request.GET.copy()
    data.setdefault("status", "current")
    filterset = RosterFilterSet(data, queryset=roster_list(actor=actor))
    rows = filterset.qs if filterset.is_valid() else roster_list(actor=actor).none()
    rows = rows.select_related("caregiver").prefetch_related(
        Prefetch("caregiver__certificates", queryset=Certificate.objects.order_by("id"))
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Caregiver roster"))
    sheet.append(safe_row(HEADERS[key] for key in EXPORT_COLUMNS))
    count = 0
    for employment in rows.iterator(chunk_size=2000):
        sheet.append([safe_cell(value) for value in _row(employment, full_ids)])
        count += 1
    services.roster_export_recorded(
        actor=actor, count=count, filters=dict(request.GET.lists()), id_numbers=full_ids
    )
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    filename = f"roster-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


@login_required
@require_POST
def person_id_number_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The person's page with the full ID number, for a role that may see it (POST, so a
    link or a prefetch never reveals it; each reveal is audited)."""
    actor = request_actor(request)
    person = person_get_for_actor(actor=actor, external_id=external_id)
    context: dict[str, object] = {"person": person, "today": timezone.localdate(),
                                  **person_record(person)}  # fmt: skip
    try:
        context["id_number"] = services.person_id_number_reveal(actor=actor, person=person)
    except ValidationError as exc:
        context["reveal_error"] = " ".join(exc.messages)
    response = render(request, "workforce/person.html", context)
    response["Cache-Control"] = "no-store"
    return response
