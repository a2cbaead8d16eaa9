"""Batch import of 12345 hotline work orders (.xlsx or .csv) into the complaint register.
Every row is checked first; any bad row refuses the whole file with a report naming row,
column and reason (nothing is half-written)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.tabular import UnreadableFile, open_table
from yiyang.organisations.choices import PROVIDER_KINDS
from yiyang.organisations.models import Organisation
from yiyang.supervision.choices import ComplaintCategory, ComplaintChannel
from yiyang.supervision.models import Complaint
from yiyang.supervision.services.complaints import complaint_register

COLUMNS = {
    "work_order": ["工单编号", "工单号", "work order", "work_order"],
    "received_at": ["受理时间", "来电时间", "received at", "received_at"],
    "organisation": ["被投诉单位", "涉及单位", "organisation"],
    "text": ["诉求内容", "投诉内容", "text", "complaint"],
    "category": ["投诉类别", "类别", "category"],
}
REQUIRED = ("work_order", "received_at", "organisation", "text")
CATEGORY_WORDS = {str(label): value for value, label in ComplaintCategory.choices} | {
    "服务质量": "service_quality",
    "服务态度": "attitude",
    "安全": "safety",
    "收费": "charges",
    "餐饮": "meals",
    "其他": "other",
}


@dataclass
class HotlineReport:
    rows: int = 0
    imported: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # row, column, reason


def _when(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value or "").strip().replace("/", "-")
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _check_row(
    row: Any, actor: Actor, providers: dict[str, list[Organisation]], seen: set[str]
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    values = row.values
    errors: list[tuple[str, str]] = []
    number = str(values.get("work_order") or "").strip()
    if not number:
        errors.append(("work_order", _("The work-order number is missing.")))
    elif number in seen:
        errors.append(("work_order", _("This work-order number appears twice in the file.")))
    elif Complaint.objects.filter(work_order=number).exists():
        errors.append(("work_order", _("This work-order number is already in the register.")))
    seen.add(number)
    received = _when(values.get("received_at"))
    if received is None:
        errors.append(("received_at", _("Not a date and time.")))
    elif received > timezone.now():
        errors.append(("received_at", _("The date lies in the future.")))
    matches = providers.get(str(values.get("organisation") or "").strip(), [])
    if len(matches) != 1:
        errors.append(
            (
                "organisation",
                _("No single provider of this name in your jurisdiction.")
                if not matches
                else _("Several providers have this name."),
            )
        )
    text = str(values.get("text") or "").strip()
    if not text:
        errors.append(("text", _("Describe the complaint.")))
    category = CATEGORY_WORDS.get(str(values.get("category") or "").strip(), "other")
    if errors:
        return None, errors
    return {
        "work_order": number,
        "received_at": received,
        "organisation": matches[0],
        "text": text,
        "category": category,
    }, []


def hotline_import(*, actor: Actor, path: Path, filename: str | None = None) -> HotlineReport:
    """Import a 12345 export: all rows or none."""
    require_perm(actor, Permission.REGISTER_COMPLAINTS)
    report = HotlineReport()
    providers: dict[str, list[Organisation]] = {}
    for organisation in Organisation.objects.filter(kind__in=PROVIDER_KINDS).select_related(
        "division"
    ):
        if actor.scope.covers_division_code(organisation.division.code):
            providers.setdefault(organisation.name, []).append(organisation)
    try:
        table = open_table(path, filename=filename, columns=COLUMNS, required=REQUIRED)
    except UnreadableFile as error:
        raise ValidationError({"file": str(error)}) from None
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    with table:
        for row in table.rows:
            report.rows += 1
            values, errors = _check_row(row, actor, providers, seen)
            report.errors += [(row.number, column, reason) for column, reason in errors]
            if values is not None:
                checked.append(values)
    if report.errors:
        return report
    with transaction.atomic():
        for values in checked:
            complaint_register(actor=actor, channel=ComplaintChannel.HOTLINE_12345, **values)
    report.imported = len(checked)
    return report
