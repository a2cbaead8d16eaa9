"""One spreadsheet row to record values: the community resolver, the cell parsers, the
merge of a row into a record."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.models import Division
from yiyang.core.permissions import Actor
from yiyang.elders.choices import ALIASES, ElderStatus, Relation
from yiyang.elders.columns import (
    CHOICE_COLUMNS,
    CONDITION_CHOICES,
    HEADERS,
    RELATION_CHOICES,
    REQUIRED_COLUMNS,
)
from yiyang.elders.geocoding import Geocoder, record_locate
from yiyang.elders.parsing import (
    CellError,
    clean_text,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_phones,
    split_multi,
)
from yiyang.elders.services import Record
from yiyang.elders.tabular import RawRow


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the Chinese header (or "" for the whole row)
    value: str
    reason: str


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0
    processed: int = 0


@dataclass
class Parsed:
    row: int
    values: dict[str, Any]
    contact: dict[str, Any] | None
    errors: list[RowError] = field(default_factory=list)
    digest: str = ""


class CommunityResolver:
    """Finds a community by its 12-digit code or its name, within the actor's scope."""

    def __init__(self, actor: Actor) -> None:
        communities = actor.scope.apply(
            Division.objects.filter(level=DivisionLevel.COMMUNITY).select_related(
                "parent__parent__parent"
            ),
            division_code_field="code",
        )
        self.by_code: dict[str, Division] = {}
        self.by_name: dict[str, list[Division]] = {}
        for community in communities:
            self.by_code[community.code] = community
            self.by_name.setdefault(community.name, []).append(community)
            if community.parent is not None:
                joined = f"{community.parent.name}{community.name}"
                self.by_name.setdefault(joined, []).append(community)
                self.by_name.setdefault(f"{community.parent.name}/{community.name}", []).append(
                    community
                )

    def __call__(self, value: object) -> Division | None:
        text = clean_text(value, max_length=120)
        if text is None:
            return None
        if text.isdigit():
            found = self.by_code.get(text)
            if found is None:
                raise CellError(
                    _("No community with code %(code)s in your jurisdiction.") % {"code": text}
                )
            return found
        matches = self.by_name.get(text.replace(" ", ""), [])
        if not matches:
            raise CellError(_("No community named %(name)s in your jurisdiction.") % {"name": text})
        if len(matches) > 1:
            raise CellError(
                _(
                    "%(count)d communities are named %(name)s: give the street too "
                    "(street/community) or the 12-digit code."
                )
                % {"count": len(matches), "name": text}
            )
        return matches[0]


TEXT_COLUMNS = {
    "name": 50,
    "address": 200,
    "disability_certificate": 40,
    "insurance_number": 40,
    "family_doctor": 120,
    "contact_name": 50,
}


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)[:200]


def _id_number(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) or (isinstance(value, int) and len(str(value)) < 15):
        raise CellError(
            _("The ID number was stored as a number and lost digits: format the column as text.")
        )
    try:
        return parse_citizen_id(str(value)).number
    except IdNumberError as exc:
        raise CellError(str(exc)) from None


def parse_row(
    raw: RawRow, *, communities: CommunityResolver, labels: dict[str, str] | None = None
) -> Parsed:
    """One spreadsheet row to record values (only the non-empty cells) and a contact."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    names = HEADERS | (labels or {})
    for key in sorted(raw.formulas):
        errors.append(
            RowError(
                raw.number, names[key], "", _("The cell holds a formula; paste its value instead.")
            )
        )
    contact: dict[str, Any] = {}
    for key, value in raw.values.items():
        if value is None or key in raw.formulas:
            continue
        try:
            if key == "id_number":
                parsed: Any = _id_number(value)
            elif key == "community":
                parsed = communities(value)
            elif key in ("birth_date", "deceased_on"):
                parsed = parse_date(value)
            elif key == "phones" or key == "contact_phone":
                parsed = parse_phones(value)
            elif key in ("lat", "lng"):
                limit = Decimal(90) if key == "lat" else Decimal(180)
                parsed = parse_decimal(value, minimum=-limit, maximum=limit, places=6)
            elif key == "chronic_conditions":
                parsed = sorted(
                    {
                        str(
                            parse_choice(
                                part,
                                choices=CONDITION_CHOICES,
                                aliases=ALIASES["chronic_conditions"],
                            )
                        )
                        for part in split_multi(value)
                    }
                )
            elif key == "contact_relation":
                parsed = parse_choice(
                    value, choices=RELATION_CHOICES, aliases=ALIASES["contact_relation"]
                )
            elif key in CHOICE_COLUMNS:
                parsed = parse_choice(
                    value, choices=CHOICE_COLUMNS[key], aliases=ALIASES.get(key, {})
                )
            elif key in TEXT_COLUMNS:
                parsed = clean_text(value, max_length=TEXT_COLUMNS[key])
            else:
                continue
        except CellError as exc:
            errors.append(RowError(raw.number, names[key], _show(value), str(exc)))
            continue
        if parsed in (None, "", []):
            continue
        if key.startswith("contact_"):
            contact[key.removeprefix("contact_")] = parsed
        else:
            values[key] = parsed
    for key in REQUIRED_COLUMNS:
        if key not in values and not any(e.column == names[key] for e in errors):
            errors.append(RowError(raw.number, names[key], "", _("This cell is required.")))
    if contact:
        if "name" not in contact:
            errors.append(
                RowError(
                    raw.number,
                    names["contact_name"],
                    "",
                    _("A contact's phone or relation is given without the contact's name."),
                )
            )
        if "relation" not in contact:
            contact["relation"] = Relation.OTHER
        contact.setdefault("phone", [])
    return Parsed(raw.number, values, contact or None, errors)


def _merged(existing: Record | None, values: dict[str, Any], at: Geocoder | None = None) -> Record:
    base = dict(existing.__dict__) if existing is not None else {}
    merged = Record(**(base | values))
    record_locate(merged, before=existing, geocoder=at)
    if existing is not None and merged.status != existing.status:
        merged.status_changed_on = timezone.localdate()
    if merged.status != ElderStatus.DECEASED and "deceased_on" not in values:
        merged.deceased_on = None
    return merged
