"""The registry's background export (``core.exports``): the elder list as .xlsx, with the
list's filters and the requester's scope. Sensitive columns are unmasked only where the
role may export them; the export is audited and every unmasked elder is in the access log."""

from __future__ import annotations

import tempfile
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyang.core.cells import safe_cell, safe_row
from yiyang.core.exports import ExportFile, ExportKind, Progress, export_kind_register
from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.elders import services
from yiyang.elders.choices import SensitiveField, Tag
from yiyang.elders.columns import HEADERS
from yiyang.elders.selectors import elder_list
from yiyang.elders.sensitive import elder_id_number, elder_phones
from yiyang.elders.tags import age_on, elder_tags

ELDER_EXPORT = "elders.list"
# Columns of the elder export, in order (Chinese headers from ``columns.HEADERS``).
EXPORT_COLUMNS = [
    "name",
    "id_number",
    "sex",
    "birth_date",
    "age",
    "phones",
    "community",
    "address",
    "living_arrangement",
    "economic_status",
    "status",
    "tags",
]
# Headers of export columns that are not spreadsheet-import columns.
EXTRA_HEADERS = {"age": gettext_lazy("Age"), "tags": gettext_lazy("Tags")}


def filters_query(filters: dict[str, list[str]]) -> QueryDict:
    """The stored filters as the list's query (empty values and the page number dropped)."""
    query = QueryDict(mutable=True)
    for key, values in filters.items():
        kept = [v for v in values if isinstance(v, str) and v.strip()]
        if kept and key != "page":
            query.setlist(key, kept)
    return query


def elder_export_build(*, actor: Actor, params: dict[str, Any], progress: Progress) -> ExportFile:
    from openpyxl import Workbook

    allowed = set(services.export_fields(actor))
    unmasked = [f for f in (SensitiveField.ID_NUMBER, SensitiveField.PHONES) if f in allowed]
    filters = params.get("filters", {})
    today = timezone.localdate()
    elders = elder_list(actor=actor, filters=filters_query(filters))
    progress(0, elders.count())
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Elders"))
    sheet.append(safe_row(str(HEADERS.get(key) or EXTRA_HEADERS[key]) for key in EXPORT_COLUMNS))
    exported: list[tuple[int, str]] = []
    for elder in elders.iterator(chunk_size=2000):
        exported.append((elder.pk, elder.division_code))
        id_number = (
            elder_id_number(elder)
            if SensitiveField.ID_NUMBER in unmasked
            else elder.id_number_masked
        )
        phones = (
            ", ".join(elder_phones(elder))
            if SensitiveField.PHONES in unmasked
            else elder.phones_masked
        )
        row = [
            elder.name,
            id_number,
            elder.get_sex_display(),
            elder.birth_date,
            age_on(elder.birth_date, today),
            phones,
            elder.community.name,
            elder.address,
            elder.get_living_arrangement_display(),
            elder.get_economic_status_display(),
            elder.get_status_display(),
            "、".join(str(Tag(tag).label) for tag in elder_tags(elder, today)),
        ]
        sheet.append([safe_cell(value) for value in row])
        progress(len(exported))
    services.elder_export_logged(
        actor=actor, elders=exported, fields=[str(f) for f in unmasked], filters=filters
    )
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        return ExportFile(filename="elders.xlsx", content=handle.read())


export_kind_register(
    ExportKind(
        code=ELDER_EXPORT,
        title=gettext_lazy("Export of elders (.xlsx)"),
        allowed=lambda actor: has_perm(actor, Permission.EXPORT_DATA),
        build=elder_export_build,
        back_url="elders:list",
    )
)
