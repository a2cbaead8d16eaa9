"""Shared checks for input that several apps validate the same way."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiyang.core.models import Division


def city_of(division: Division) -> Division:
    """The city a division belongs to (walking up at most three parents)."""
    node = division
    while node.parent_id is not None:
        node = node.parent  # type: ignore[assignment]
    return node


def required_text(value: object, field: str, message: str) -> str:
    """``value`` as text without surrounding blanks; a blank one is refused on ``field``
    with ``message`` (a reason, an answer, an explanation that must be written)."""
    text = str(value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def year_errors(year: int, errors: dict[str, str], field: str = "year") -> None:
    """A budget or building year: 2000 to 2100 (a typo such as 202 or 20255 is refused)."""
    if not 2000 <= int(year) <= 2100:
        errors[field] = _("Give a year between 2000 and 2100.")


def coordinate_errors(
    *, lat: Decimal | None, lng: Decimal | None, division: Division | None
) -> dict[str, str]:
    """Field errors for a coordinate pair that is incomplete or lies outside the city."""
    errors: dict[str, str] = {}
    if (lat is None) != (lng is None):
        field = "lng" if lng is None else "lat"
        errors[field] = _("Give both latitude and longitude, or neither.")
        return errors
    if lat is None or lng is None or division is None:
        return errors
    if not Decimal(-90) <= lat <= Decimal(90):
        errors["lat"] = _("Latitude must be between -90 and 90.")
    if not Decimal(-180) <= lng <= Decimal(180):
        errors["lng"] = _("Longitude must be between -180 and 180.")
    if errors:
        return errors
    city = city_of(division)
    box = (city.bbox_min_lat, city.bbox_max_lat, city.bbox_min_lng, city.bbox_max_lng)
    if None in box:
        return errors
    min_lat, max_lat, min_lng, max_lng = (Decimal(v) for v in box)  # type: ignore[arg-type]
    if not (min_lat <= lat <= max_lat and min_lng <= lng <= max_lng):
        message = _(
            "The point (%(lat)s, %(lng)s) lies outside %(city)s "
            "(latitude %(min_lat)s to %(max_lat)s, longitude %(min_lng)s to %(max_lng)s)."
        ) % {
            "lat": lat,
            "lng": lng,
            "city": city.name,
            "min_lat": min_lat,
            "max_lat": max_lat,
            "min_lng": min_lng,
            "max_lng": max_lng,
        }
        errors["lat"] = message
    return errors
