"""Importing the city's address register (地址库) from a spreadsheet or CSV file.

One row is one address of a community (a building, a courtyard, a village group) with its
coordinates: ``社区`` (the community's 12-digit code or its name, within the importer's
jurisdiction), ``地址``, ``纬度``, ``经度``. Every row is checked first; one wrong row and
nothing is written, with the row, the column, the value and the reason of every problem. A
file without problems is written in one transaction: new addresses added, known ones (same
community and key, see ``geocoding.address_key``) moved to the new coordinates. Then the
elders of those communities who had no coordinates or only the community's centre are
located again, so the data-quality list shrinks as the register grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record, audit_record_many
from yiyang.core.bulk import bulk_insert
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.core.validation import coordinate_errors
from yiyang.elders.choices import LocationSource
from yiyang.elders.geocoding import Geocoder, address_key, division_names
from yiyang.elders.importing import CommunityResolver, RowError
from yiyang.elders.models import AddressPoint, Elder
from yiyang.elders.parsing import CellError, clean_text, parse_decimal
from yiyang.elders.tabular import open_table

ADDRESS_OBJECT_TYPE = "elders.addresspoint"
ADDRESS_COLUMNS: dict[str, tuple[str, ...]] = {
    "community": (
        "社区",
        "所属社区",
        "社区（村）",
        "村（社区）",
        "社区代码",
        "区划代码",
        "community",
        "community code",
    ),
    "address": ("地址", "门牌地址", "楼栋地址", "楼栋", "address"),
    "lat": ("纬度", "lat", "latitude"),
    "lng": ("经度", "lng", "lon", "longitude"),
}
ADDRESS_HEADERS = {key: aliases[0] for key, aliases in ADDRESS_COLUMNS.items()}
REQUIRED = ("community", "address", "lat", "lng")
RELOCATED_FIELDS = (
    "pk",
    "external_id",
    "name",
    "id_number_masked",
    "division_code",
    "community_id",
    "address",
    "lat",
    "lng",
    "location_source",
)


@dataclass
class AddressImport:
    """What an import did (or, on a dry run or with errors, would have done)."""

    rows: int = 0
    created: int = 0
    moved: int = 0
    unchanged: int = 0
    relocated: int = 0  # elders located again after the register changed
    errors: list[RowError] = field(default_factory=list)
    written: bool = False


@dataclass
class _Row:
    number: int
    community: Division
    address: str
    key: str
    lat: Decimal
    lng: Decimal


def _parse(number: int, values: dict[str, Any], resolve: CommunityResolver) -> tuple[Any, list]:
    """One row as a ``_Row``, or its problems (``RowError``)."""
    errors: list[RowError] = []
    parsed: dict[str, Any] = {}
    try:
        community = resolve(values.get("community"))
    except CellError as exc:
        community, reason = None, str(exc)
    else:
        reason = _("Say which community the address belongs to.")
    if community is None:
        given = str(values.get("community") or "")
        errors.append(RowError(number, ADDRESS_HEADERS["community"], given, reason))
    for name, limit in (("lat", Decimal(90)), ("lng", Decimal(180))):
        try:
            parsed[name] = parse_decimal(values.get(name), minimum=-limit, maximum=limit, places=6)
        except CellError as exc:
            errors.append(RowError(number, ADDRESS_HEADERS[name], str(values.get(name)), str(exc)))
            continue
        if parsed[name] is None:
            errors.append(RowError(number, ADDRESS_HEADERS[name], "", _("Give the coordinate.")))
    try:
        address = clean_text(values.get("address"), max_length=200) or ""
    except CellError as exc:
        address = ""
        errors.append(RowError(number, ADDRESS_HEADERS["address"], "", str(exc)))
    if community is None or errors:
        return None, errors
    key = address_key(address, division_names(community))
    if not address or key in {"", *division_names(community)}:
        message = _("Give the address within the community (a building, courtyard or group).")
        return None, [RowError(number, ADDRESS_HEADERS["address"], address, message)]
    for name, message in coordinate_errors(
        lat=parsed["lat"], lng=parsed["lng"], division=community
    ).items():
        errors.append(RowError(number, ADDRESS_HEADERS[name], str(parsed[name]), message))
    row = _Row(number, community, address, key, parsed["lat"], parsed["lng"])
    return (None if errors else row), errors


def _read(actor: Actor, path: Path, filename: str | None) -> tuple[list[_Row], list[RowError]]:
    resolve = CommunityResolver(actor)
    rows: list[_Row] = []
    errors: list[RowError] = []
    first: dict[tuple[int, str], int] = {}
    with open_table(path, filename=filename, columns=ADDRESS_COLUMNS, required=REQUIRED) as table:
        for raw in table.rows:
            row, problems = _parse(raw.number, raw.values, resolve)
            errors += problems
            if row is None:
                continue
            seen = first.setdefault((row.community.pk, row.key), row.number)
            if seen != row.number:
                errors.append(
                    RowError(
                        row.number,
                        ADDRESS_HEADERS["address"],
                        row.address,
                        _("The same address as row %(row)d of this file.") % {"row": seen},
                    )
                )
                continue
            rows.append(row)
    return rows, errors


def address_register_import(
    *, actor: Actor, path: Path, filename: str | None = None, dry_run: bool = False
) -> AddressImport:
    """Add or move the file's addresses in the register, all rows or none (see the module).
    Raises ``tabular.UnreadableFile`` when the file cannot be read at all."""
    require_perm(actor, Permission.MANAGE_ADDRESS_REGISTER)
    rows, errors = _read(actor, path, filename)
    result = AddressImport(rows=len(rows) + len({e.row for e in errors}), errors=errors)
    if errors:
        return result
    with transaction.atomic():
        _write(actor, rows, result, source=filename or path.name)
        if dry_run:
            transaction.set_rollback(True)
            return result
    result.written = True
    return result


def _write(actor: Actor, rows: list[_Row], result: AddressImport, *, source: str) -> None:
    known = {
        (p.community_id, p.key): p
        for p in AddressPoint.objects.select_for_update().filter(
            community_id__in={r.community.pk for r in rows}, key__in={r.key for r in rows}
        )
    }
    new: list[AddressPoint] = []
    moved: list[AddressPoint] = []
    for row in rows:
        point = known.get((row.community.pk, row.key))
        if point is None:
            new.append(
                AddressPoint(
                    community=row.community,
                    division_code=row.community.code,
                    address=row.address,
                    key=row.key,
                    lat=row.lat,
                    lng=row.lng,
                    source=source[:200],
                )
            )
        elif (point.lat, point.lng, point.address) != (row.lat, row.lng, row.address):
            point.lat, point.lng, point.address, point.source = (
                row.lat,
                row.lng,
                row.address,
                source,
            )
            moved.append(point)
    bulk_insert(new)
    AddressPoint.objects.bulk_update(moved, ["lat", "lng", "address", "source", "updated_at"])
    result.created, result.moved = len(new), len(moved)
    result.unchanged = len(rows) - len(new) - len(moved)
    result.relocated = elders_relocate(actor=actor, communities=[r.community for r in rows])
    audit_record(
        actor=actor_user(actor),
        action=AuditAction.IMPORT,
        object_type=ADDRESS_OBJECT_TYPE,
        object_repr=source[:255],
        changes={"created": result.created, "moved": result.moved, "relocated": result.relocated},
    )


def elders_relocate(*, actor: Actor, communities: list[Division]) -> int:
    """Locate again, from the register, the elders of these communities who have an address
    but no coordinates or only the community's centre. Returns how many now have a better
    location. (Coordinates entered by hand or found in the register are left alone.)"""
    by_pk = {c.pk: c for c in communities}
    elders = list(
        Elder.objects.filter(
            community_id__in=by_pk,
            location_source__in=(LocationSource.NONE, LocationSource.COMMUNITY),
        )
        .exclude(address="")
        .only(*RELOCATED_FIELDS)
    )
    geocoder = Geocoder()
    geocoder.prefetch((by_pk[e.community_id], e.address) for e in elders)
    better, changes = [], []
    for elder in elders:
        found = geocoder.locate(by_pk[elder.community_id], elder.address)
        if found.source == LocationSource.REGISTER or (
            found.source == LocationSource.COMMUNITY and elder.lat is None
        ):
            changes.append(
                {
                    "lat": [_number(elder.lat), _number(found.lat)],
                    "lng": [_number(elder.lng), _number(found.lng)],
                    "location_source": [elder.location_source, found.source],
                }
            )
            elder.lat, elder.lng, elder.location_source = found.lat, found.lng, found.source
            better.append(elder)
    Elder.objects.bulk_update(better, ["lat", "lng", "location_source"], batch_size=500)
    audit_record_many(
        actor=actor_user(actor),
        action=AuditAction.UPDATE,
        objects=better,
        division_codes=[e.division_code for e in better],
        changes=changes,
    )
    return len(better)


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
