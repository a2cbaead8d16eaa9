"""A plan's map as a picture (PNG), for a report or a meeting's slides: the division
outlines as the basemap, the open facilities of the kind, and the chosen sites numbered in
the order of their gain. Pure drawing (data in, bytes out) with Pillow; the caller reads the
records and checks the user's rights.

The projection is equirectangular around the middle latitude (x scaled by its cosine),
exact enough for a city, and the same one the outlines were drawn in on screen."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from yiyang.core.fonts import CJK_FONT_FILE

WIDTH, HEIGHT = 1600, 1200
MARGIN, HEADER, FOOTER = 40, 90, 150
# Outline weight and colour by division level (the screen's vector basemap, on paper).
LEVEL_STYLE = {
    "city": (4, (60, 72, 88)),
    "district": (3, (96, 110, 128)),
    "street": (1, (150, 160, 172)),
    "community": (1, (205, 210, 216)),
}
Point = tuple[float, float]  # (lat, lng)


@dataclass(frozen=True)
class Marker:
    lat: float
    lng: float
    colour: tuple[int, int, int]
    label: str = ""  # drawn inside the marker (a site's rank)
    radius: int = 9


@dataclass(frozen=True)
class Outline:
    level: str
    rings: list[list[Point]]  # each ring as (lat, lng) points


def outlines_from_geojson(level: str, geometry: dict[str, Any]) -> Outline:
    """A GeoJSON Polygon or MultiPolygon (lng, lat order) as rings of (lat, lng)."""
    polygons = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        polygons = [polygons]
    rings = [[(float(p[1]), float(p[0])) for p in ring] for polygon in polygons for ring in polygon]
    return Outline(level=level, rings=rings)


class _Frame:
    """Maps (lat, lng) to pixels inside the drawing area, keeping the aspect."""

    def __init__(self, points: Iterable[Point]) -> None:
        lats, lngs = zip(*points, strict=True)
        self.south, self.north = min(lats), max(lats)
        self.west, self.east = min(lngs), max(lngs)
        self.kx = math.cos(math.radians((self.south + self.north) / 2))
        span_x = max((self.east - self.west) * self.kx, 1e-6)
        span_y = max(self.north - self.south, 1e-6)
        area_w, area_h = WIDTH - 2 * MARGIN, HEIGHT - HEADER - FOOTER
        self.scale = min(area_w / span_x, area_h / span_y)
        self.x0 = MARGIN + (area_w - span_x * self.scale) / 2
        self.y0 = HEADER + (area_h - span_y * self.scale) / 2

    def __call__(self, lat: float, lng: float) -> tuple[float, float]:
        x = self.x0 + (lng - self.west) * self.kx * self.scale
        y = self.y0 + (self.north - lat) * self.scale
        return x, y

    def km_per_pixel(self) -> float:
        return 111.32 / self.scale


def _font(size: int) -> Any:
    try:
        return ImageFont.truetype(str(CJK_FONT_FILE), size)
    except OSError:  # the font file is part of the package; fall back rather than fail
        return ImageFont.load_default()


def _scale_bar(draw: ImageDraw.ImageDraw, frame: _Frame, font: Any) -> None:
    km = frame.km_per_pixel() * 200
    nice = next((n for n in (0.5, 1, 2, 5, 10, 20, 50, 100) if n >= km / 2), 100)
    pixels = nice / frame.km_per_pixel()
    x, y = WIDTH - MARGIN - pixels, HEIGHT - FOOTER + 30
    draw.line([(x, y), (x + pixels, y)], fill=(40, 40, 40), width=3)
    draw.text((x, y + 8), f"{nice:g} km", fill=(40, 40, 40), font=font)


def render_png(
    *,
    title: str,
    subtitle: str,
    outlines: Sequence[Outline],
    markers: Sequence[Marker],
    legend: Sequence[tuple[tuple[int, int, int], str]],
    note: str = "",
) -> bytes:
    """The map as PNG bytes. Without outlines, the markers alone set the frame."""
    points = [p for o in outlines for ring in o.rings for p in ring]
    points += [(m.lat, m.lng) for m in markers]
    image = Image.new("RGB", (WIDTH, HEIGHT), (250, 250, 247))
    draw = ImageDraw.Draw(image)
    title_font, text_font, small = _font(40), _font(24), _font(18)
    draw.text((MARGIN, 20), title, fill=(20, 24, 30), font=title_font)
    draw.text((MARGIN, 66), subtitle, fill=(90, 96, 104), font=small)
    if points:
        frame = _Frame(points)
        order = list(LEVEL_STYLE)
        for outline in sorted(outlines, key=lambda o: -order.index(o.level)):
            width, colour = LEVEL_STYLE.get(outline.level, LEVEL_STYLE["community"])
            for ring in outline.rings:
                if len(ring) > 1:
                    draw.line([frame(*p) for p in ring], fill=colour, width=width)
        for marker in markers:
            x, y = frame(marker.lat, marker.lng)
            r = marker.radius
            draw.ellipse([x - r, y - r, x + r, y + r], fill=marker.colour, outline=(255, 255, 255))
            if marker.label:
                draw.text((x, y), marker.label, fill=(255, 255, 255), font=small, anchor="mm")
        _scale_bar(draw, frame, small)
    y = HEIGHT - FOOTER + 20
    for colour, text in legend:
        draw.ellipse([MARGIN, y + 4, MARGIN + 18, y + 22], fill=colour)
        draw.text((MARGIN + 30, y), text, fill=(30, 30, 30), font=text_font)
        y += 34
    if note:
        draw.text((MARGIN, HEIGHT - 30), note, fill=(110, 110, 110), font=small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
