"""Candidate sites uploaded for "where to build next": a .xlsx or .csv of named points,
every row checked (numbers, on Earth, inside the city, no duplicate) before anything runs."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiyang.core.errors import row_errors
from yiyang.core.models import Division

MAX_CANDIDATES = 500
HEADERS = {
    "name": ("name", "名称", "地点", "site"),
    "lat": ("lat", "latitude", "纬度"),
    "lng": ("lng", "lon", "longitude", "经度"),
}


def _rows(data: bytes, filename: str) -> list[list[Any]]:
    if filename.lower().endswith(".xlsx"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # a damaged or foreign file: say so, never a 500
            raise ValidationError({"file": _("This is not a readable .xlsx file.")}) from exc
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError({"file": _("The file is neither UTF-8 nor GBK text.")})
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _inside(box: list[float | None], lat: float, lng: float) -> bool:
    lo_lat, hi_lat, lo_lng, hi_lng = box
    if lo_lat is None or hi_lat is None or lo_lng is None or hi_lng is None:
        return True
    return lo_lat <= lat <= hi_lat and lo_lng <= lng <= hi_lng


def candidates_from_file(*, data: bytes, filename: str, city: Division) -> list[dict[str, Any]]:
    """Candidate points from a .xlsx or .csv with columns name/名称, lat/纬度, lng/经度:
    every row valid, or a ValidationError naming each bad row (bad coordinates, a point
    outside the city, a duplicate)."""
    rows = [r for r in _rows(data, filename) if any(c not in (None, "") for c in r)]
    if not rows:
        raise ValidationError({"file": _("The file is empty.")})
    header = [str(c or "").strip().lower() for c in rows[0]]
    columns = {}
    for key, names in HEADERS.items():
        found = [i for i, h in enumerate(header) if h in names]
        if not found:
            raise ValidationError(
                {"file": _("The file has no column %(c)s.") % {"c": " / ".join(names[:3])}}
            )
        columns[key] = found[0]
    box: list[float | None] = [
        float(v) if v is not None else None
        for v in (city.bbox_min_lat, city.bbox_max_lat, city.bbox_min_lng, city.bbox_max_lng)
    ]
    errors: dict[int, dict[str, str]] = {}
    seen: dict[tuple[str, str], int] = {}
    points = []
    for number, row in enumerate(rows[1:], start=2):
        cell = {k: (row[i] if i < len(row) else None) for k, i in columns.items()}
        problems: dict[str, str] = {}
        try:
            lat = Decimal(str(cell["lat"]).strip()).quantize(Decimal("0.000001"))
            lng = Decimal(str(cell["lng"]).strip()).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            lat = lng = Decimal("NaN")
        # "nan" parses, and comparing it raises: it is no number here either
        if not (lat.is_finite() and lng.is_finite()):
            problems["lat"] = _("Latitude and longitude must be numbers.")
        elif not (-90 <= lat <= 90 and -180 <= lng <= 180):
            problems["lat"] = _("This is not a point on Earth.")
        elif not _inside(box, float(lat), float(lng)):
            problems["lat"] = _("The point lies outside %(city)s.") % {"city": city.name}
        else:
            point = (str(lat), str(lng))
            if point in seen:
                problems["lat"] = _("The same point as row %(row)d.") % {"row": seen[point]}
            seen.setdefault(point, number)
        if problems:
            errors[number] = problems
            continue
        name = str(cell["name"] or "").strip() or _("Site %(n)d") % {"n": number - 1}
        points.append({"name": name[:100], "lat": float(lat), "lng": float(lng)})
    if errors:
        raise row_errors(errors)
    if len(points) > MAX_CANDIDATES:
        raise ValidationError({"file": _("At most %(n)d candidate sites.") % {"n": MAX_CANDIDATES}})
    return points
