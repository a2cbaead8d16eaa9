"""The shared kernel owns the administrative map (divisions) and the audit log.

Writes here are atomic and audited; validation errors are ``ValidationError`` with a dict of
field messages, which the pages and the API show next to the fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.audit import audit_record, created
from yiyang.core.auditing import update_audited
from yiyang.core.choices import (
    CODE_PREFIX_LENGTH,
    PARENT_LEVEL,
    AuditAction,
    DivisionLevel,
    MapCrs,
    RoadKind,
)
from yiyang.core.errors import reject_unknown_fields, row_errors, unknown_field_errors
from yiyang.core.geometry import GeometryError, bbox, crs_from_name, validate_geometry
from yiyang.core.models import Division, DivisionBoundary, MapRoad
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.validation import coordinate_errors

# What a person edits (the form and the API); the bounding box follows the boundary.
DIVISION_EDITABLE_FIELDS = (
    "code",
    "name",
    "level",
    "parent",
    "is_urban",
    "population_60_plus",
    "centroid_lat",
    "centroid_lng",
)
DIVISION_FIELDS = (
    *DIVISION_EDITABLE_FIELDS,
    "bbox_min_lat",
    "bbox_max_lat",
    "bbox_min_lng",
    "bbox_max_lng",
)


class DivisionValues(TypedDict, total=False):
    """What :func:`division_create` and :func:`division_update` accept (``DIVISION_FIELDS``)."""

    code: str
    name: str
    level: str
    parent: Division | None
    is_urban: bool
    population_60_plus: int
    centroid_lat: Decimal | None
    centroid_lng: Decimal | None
    bbox_min_lat: Decimal | None
    bbox_max_lat: Decimal | None
    bbox_min_lng: Decimal | None
    bbox_max_lng: Decimal | None


CODE_RE = re.compile(r"^\d{12}$")


def _division_errors(
    *, values: Mapping[str, Any], actor: Actor, instance: Division | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    code = str(values.get("code") or "")
    level = values.get("level")
    parent: Division | None = values.get("parent")
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = _("Give the division's name.")
    if level not in DivisionLevel.values:
        errors["level"] = _("Choose a level: city, district, street or community.")
        return errors
    if not CODE_RE.match(code):
        errors["code"] = _("A division code is exactly 12 digits.")
    else:
        significant = CODE_PREFIX_LENGTH[level]
        if code[significant:].strip("0"):
            errors["code"] = _(
                "A %(level)s code has %(n)d significant digits followed by zeros."
            ) % {"level": str(DivisionLevel(level).label).lower(), "n": significant}
        elif (
            Division.objects.filter(code=code).exclude(pk=instance.pk if instance else -1).exists()
        ):
            errors["code"] = _("Division code %(code)s is already in use.") % {"code": code}
    expected_parent = PARENT_LEVEL[level]
    if expected_parent is None:
        if parent is not None:
            errors["parent"] = _("A city has no parent division.")
    elif parent is None:
        errors["parent"] = _("A %(level)s must have a %(parent)s as its parent.") % {
            "level": str(DivisionLevel(level).label).lower(),
            "parent": str(DivisionLevel(expected_parent).label).lower(),
        }
    elif parent.level != expected_parent:
        errors["parent"] = _("A %(level)s must sit under a %(parent)s, not under a %(given)s.") % {
            "level": str(DivisionLevel(level).label).lower(),
            "parent": str(DivisionLevel(expected_parent).label).lower(),
            "given": str(DivisionLevel(parent.level).label).lower(),
        }
    elif "code" not in errors and not code.startswith(parent.code_prefix):
        errors["code"] = _("The code must start with the parent's digits %(prefix)s.") % {
            "prefix": parent.code_prefix
        }
    elif "code" not in errors and code == parent.code:
        errors["code"] = _("The code must differ from the parent's code.")
    # Jurisdiction: the new or changed division must lie in the actor's subtree.
    anchor = code if parent is None else parent.code
    if "parent" not in errors and not actor.scope.covers_division_code(anchor):
        errors["parent" if parent is not None else "code"] = _(
            "This division lies outside your jurisdiction."
        )
    population = values.get("population_60_plus")
    if population is not None and int(population) < 0:
        errors["population_60_plus"] = _("The count cannot be negative.")
    bbox = [values.get(f) for f in ("bbox_min_lat", "bbox_max_lat", "bbox_min_lng", "bbox_max_lng")]
    if any(v is not None for v in bbox):
        if None in bbox:
            errors["bbox_min_lat"] = _("Give all four bounding-box values or none.")
        elif not (
            Decimal(str(bbox[0])) < Decimal(str(bbox[1]))
            and Decimal(str(bbox[2])) < Decimal(str(bbox[3]))
        ):
            errors["bbox_min_lat"] = _("Each minimum must be below its maximum.")
    if parent is not None:
        for field, message in coordinate_errors(
            lat=values.get("centroid_lat"), lng=values.get("centroid_lng"), division=parent
        ).items():
            errors[f"centroid_{field}"] = message
    return errors


@transaction.atomic
def division_create(*, actor: Actor, **values: Unpack[DivisionValues]) -> Division:
    """Create a division under a parent of the right level, inside the actor's jurisdiction."""
    require_perm(actor, Permission.MANAGE_DIVISIONS)
    reject_unknown_fields(values, DIVISION_FIELDS)
    errors = _division_errors(values=values, actor=actor, instance=None)
    if errors:
        raise ValidationError(errors)
    division = Division(**{k: v for k, v in values.items() if k in DIVISION_FIELDS})
    division.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=division,
        division_code=division.code,
        changes=created(division, DIVISION_FIELDS),
    )
    return division


@transaction.atomic
def division_update(
    *, actor: Actor, division: Division, **values: Unpack[DivisionValues]
) -> Division:
    """Change a division's name, counts, flags or coordinates. Code and level are fixed
    once children hang under them; re-coding a subtree is a data migration, not an edit."""
    require_perm(actor, Permission.MANAGE_DIVISIONS)
    reject_unknown_fields(values, DIVISION_FIELDS)
    merged = {name: getattr(division, name) for name in DIVISION_FIELDS} | values
    errors = _division_errors(values=merged, actor=actor, instance=division)
    if division.children.exists() and (
        merged["code"] != division.code or merged["level"] != division.level
    ):
        errors["code"] = _("A division with children keeps its code and level.")
    if errors:
        raise ValidationError(errors)
    update_audited(actor, division, values, DIVISION_FIELDS, division_code=str(merged["code"]))
    return division


@transaction.atomic
def division_create_many(*, actor: Actor, rows: list[dict[str, Any]]) -> list[Division]:
    """Create many divisions at once (imports, the demo city): all rows are valid or none
    is written. Parents must already exist; create a tree level by level."""
    require_perm(actor, Permission.MANAGE_DIVISIONS)
    errors: dict[int, dict[str, str]] = {}
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        problems = unknown_field_errors(row, DIVISION_FIELDS)
        problems |= _division_errors(values=row, actor=actor, instance=None)
        code = str(row.get("code") or "")
        if code in seen:
            problems["code"] = _("Division code %(code)s appears twice.") % {"code": code}
        seen.add(code)
        if problems:
            errors[number] = problems
    if errors:
        raise row_errors(errors)
    divisions = Division.objects.bulk_create(
        [Division(**row) for row in rows],
        batch_size=500,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="core.division",
        object_repr=f"{len(divisions)} divisions",
        changes={"count": len(divisions), "codes": [d.code for d in divisions[:50]]},
    )
    return divisions


def export_recorded(
    *, actor: Actor, permission: Permission, object_type: str, count: int, filters: dict[str, Any]
) -> None:
    """Record that the actor exported a list (which records, how many, with which filters).
    The permission is checked again here: an export is a read that leaves the platform."""
    require_perm(actor, permission)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=object_type,
        object_repr=f"{count} × {object_type}",
        division_code=actor.scope.division_prefix or "",
        changes={"filters": filters, "count": count},
    )


# --- Map geometry: division boundaries and the basemap's roads ---------------------------

BOUNDARY_CODE_KEYS = ("code", "division_code", "adcode", "gb", "GB", "CODE", "ADCODE")
MAX_REPORTED_ERRORS = 50


@dataclass
class BoundaryImport:
    created: int = 0
    updated: int = 0
    crs: str = MapCrs.WGS84


def _feature_code(properties: Any) -> str:
    """The feature's GB/T 2260 code, padded to 12 digits (DataV files carry 6-digit adcodes)."""
    if not isinstance(properties, dict):
        return ""
    for key in BOUNDARY_CODE_KEYS:
        value = properties.get(key)
        if value not in (None, ""):
            code = str(value).strip()
            if code.isdigit() and len(code) in (6, 9, 12):
                return code.ljust(12, "0")
            return code
    return ""


def _declared_crs(collection: dict[str, Any], declared: str | None) -> str:
    """The file's coordinate system: its ``crs`` member, else the declared one, else WGS 84."""
    named: str | None = None
    member = collection.get("crs")
    if member is not None:
        name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
        named = crs_from_name(str(name or ""))
        if named is None:
            raise ValidationError(
                _(
                    "The file's coordinate system is %(name)s; Yiyang accepts WGS 84 "
                    "(EPSG:4326, CRS84) or GCJ-02. Convert the file first."
                )
                % {"name": name or "-"}
            )
    if declared is not None:
        wanted = crs_from_name(declared)
        if wanted is None:
            raise ValidationError(
                _("Unknown coordinate system %(name)s: give wgs84 or gcj02.") % {"name": declared}
            )
        if named is not None and named != wanted:
            raise ValidationError(
                _("The file says %(file)s but %(given)s was expected.")
                % {"file": MapCrs(named).label, "given": MapCrs(wanted).label}
            )
        return wanted
    return named or MapCrs.WGS84


def _boundary_features(collection: Any) -> list[Any]:
    if not isinstance(collection, dict):
        raise ValidationError(_("The file is not a GeoJSON object."))
    if collection.get("type") == "Feature":
        return [collection]
    if collection.get("type") != "FeatureCollection" or not isinstance(
        collection.get("features"), list
    ):
        raise ValidationError(_("The file is not a GeoJSON FeatureCollection."))
    if not collection["features"]:
        raise ValidationError(_("The file has no features."))
    return list(collection["features"])


@transaction.atomic
def division_boundaries_import(
    *, actor: Actor, collection: Any, source: str = "", crs: str | None = None
) -> BoundaryImport:
    """Store the outline of each division a GeoJSON file names by GB/T 2260 code.

    Every feature is checked (geometry, known code inside the actor's jurisdiction, one
    feature per division) before anything is written: one bad feature rejects the file,
    with a message per bad feature.
    """
    require_perm(actor, Permission.MANAGE_DIVISIONS)
    features = _boundary_features(collection)
    result = BoundaryImport(crs=_declared_crs(collection, crs))
    codes = [_feature_code(f.get("properties") if isinstance(f, dict) else None) for f in features]
    divisions = {
        d.code: d
        for d in actor.scope.apply(
            Division.objects.filter(code__in=[c for c in codes if c]), division_code_field="code"
        )
    }
    errors: list[str] = []
    clean: dict[str, dict[str, Any]] = {}
    for index, (feature, code) in enumerate(zip(features, codes, strict=True), start=1):
        where = _("feature %(n)d (%(code)s)") % {"n": index, "code": code or "-"}
        if not code:
            errors.append(_("%(where)s: no division code in its properties") % {"where": where})
            continue
        if code not in divisions:
            errors.append(_("%(where)s: no such division in your jurisdiction") % {"where": where})
            continue
        if code in clean:
            errors.append(_("%(where)s: the division appears twice in the file") % {"where": where})
            continue
        try:
            clean[code] = validate_geometry(feature.get("geometry"))
        except GeometryError as exc:
            errors.append(f"{where}: {exc}")
    if errors:
        more = len(errors) - MAX_REPORTED_ERRORS
        shown = errors[:MAX_REPORTED_ERRORS]
        if more > 0:
            shown.append(_("... and %(n)d more") % {"n": more})
        raise ValidationError(shown)
    existing = set(
        DivisionBoundary.objects.filter(division_code__in=list(clean)).values_list(
            "division_code", flat=True
        )
    )
    for code, geometry in clean.items():
        min_lng, min_lat, max_lng, max_lat = bbox(geometry)
        DivisionBoundary.objects.update_or_create(
            division=divisions[code],
            defaults={
                "division_code": code,
                "level": divisions[code].level,
                "geometry": geometry,
                "crs": result.crs,
                "source": source[:255],
                "min_lng": min_lng,
                "min_lat": min_lat,
                "max_lng": max_lng,
                "max_lat": max_lat,
            },
        )
    result.updated = len(existing)
    result.created = len(clean) - result.updated
    audit_record(
        actor=actor,
        action=AuditAction.IMPORT,
        object_type="core.divisionboundary",
        object_repr=(source or _("boundary file"))[:255],
        division_code=actor.scope.division_prefix or "",
        changes={"created": result.created, "updated": result.updated, "crs": result.crs},
    )
    return result


@transaction.atomic
def map_roads_replace(
    *, actor: Actor, division: Division, roads: list[dict[str, Any]], crs: str = MapCrs.WGS84
) -> int:
    """Replace the basemap roads of a division (each ``{"name", "kind", "coordinates"}``, a
    LineString's [longitude, latitude] positions)."""
    require_perm(actor, Permission.MANAGE_DIVISIONS)
    if not actor.scope.covers_division_code(division.code):
        raise ValidationError(_("The division is outside your jurisdiction."))
    for index, road in enumerate(roads, start=1):
        points = road.get("coordinates") or []
        if len(points) < 2 or road.get("kind") not in RoadKind.values:
            raise ValidationError(_("Road %(n)d needs a kind and two positions.") % {"n": index})
    MapRoad.objects.filter(division_code=division.code).delete()
    MapRoad.objects.bulk_create(
        MapRoad(
            division_code=division.code,
            name=road["name"],
            kind=road["kind"],
            crs=crs,
            geometry={"type": "LineString", "coordinates": road["coordinates"]},
        )
        for road in roads
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="core.maproad",
        object_repr=division.name,
        division_code=division.code,
        changes={"roads": len(roads)},
    )
    return len(roads)
