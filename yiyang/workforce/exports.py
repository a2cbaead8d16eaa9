"""The roster's background export (``core.exports``): the filtered roster as .xlsx, with the
import's headers so a provider can edit and upload it again. Full ID numbers only for roles
allowed to see them (the export says so in the audit log), masked for others; every cell
through ``core.cells.safe_cell`` (formula injection)."""

from __future__ import annotations

import datetime
import tempfile
from typing import Any

from django.db.models import Prefetch
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyang.core.cells import safe_cell, safe_row
from yiyang.core.display import choice_label
from yiyang.core.exports import ExportFile, ExportKind, Progress, export_kind_register
from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.elders.choices import Sex
from yiyang.services.models import Certificate
from yiyang.workforce import services
from yiyang.workforce.columns import HEADERS
from yiyang.workforce.filtersets import RosterFilterSet
from yiyang.workforce.identity import id_number_of
from yiyang.workforce.models import Employment
from yiyang.workforce.selectors import may_export_roster, roster_list

ROSTER_EXPORT = "workforce.roster"
MIN_DAY = datetime.date.min
EXPORT_COLUMNS = (
    "name",
    "id_number",
    "sex",
    "education",
    "skill_level",
    "hired_on",
    "left_on",
    "leave_reason",
    "employer",
    "certificate_number",
    "certificate_issued_on",
    "certificate_expires_on",
    "health_certificate_expires_on",
)


def _row(employment: Employment, full_ids: bool) -> list[object]:
    person = employment.person
    certificates = list(employment.caregiver.certificates.all())
    latest = max(
        certificates,
        key=lambda c: (c.expires_on is None, c.expires_on or MIN_DAY, c.pk),
        default=None,
    )
    return [
        person.name,
        id_number_of(person) if full_ids else person.id_number_masked,
        choice_label(Sex, person.sex) if person.sex else "",
        person.get_education_display(),
        person.get_skill_level_display(),
        employment.hired_on,
        employment.left_on,
        employment.get_leave_reason_display() if employment.left_on else "",
        employment.provider.licence_number or employment.provider.name,
        latest.number if latest else "",
        latest.issued_on if latest else None,
        latest.expires_on if latest else None,
        person.health_certificate_expires_on,
    ]


def roster_export_build(*, actor: Actor, params: dict[str, Any], progress: Progress) -> ExportFile:
    from openpyxl import Workbook

    full_ids = has_perm(actor, Permission.SEE_ID_NUMBERS)
    filters = params.get("filters", {})
    data = QueryDict(mutable=True)
    for key, values in filters.items():
        data.setlist(key, [str(v) for v in values])
    data.setdefault("status", "current")
    filterset = RosterFilterSet(data, queryset=roster_list(actor=actor))
    rows = filterset.qs if filterset.is_valid() else roster_list(actor=actor).none()
    rows = rows.select_related("caregiver").prefetch_related(
        Prefetch("caregiver__certificates", queryset=Certificate.objects.order_by("id"))
    )
    progress(0, rows.count())
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Caregiver roster"))
    sheet.append(safe_row(HEADERS[key] for key in EXPORT_COLUMNS))
    count = 0
    for employment in rows.iterator(chunk_size=2000):
        sheet.append([safe_cell(value) for value in _row(employment, full_ids)])
        count += 1
        progress(count)
    services.roster_export_recorded(actor=actor, count=count, filters=filters, id_numbers=full_ids)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        filename = f"roster-{timezone.localdate():%Y%m%d}.xlsx"
        return ExportFile(filename=filename, content=handle.read())


export_kind_register(
    ExportKind(
        code=ROSTER_EXPORT,
        title=gettext_lazy("Export of the caregiver roster (.xlsx)"),
        allowed=may_export_roster,
        build=roster_export_build,
        back_url="workforce:roster",
    )
)
