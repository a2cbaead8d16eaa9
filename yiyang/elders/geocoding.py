"""Locating an address with the city's address register (地址库), without any outside service.

An address is first *normalised*: full-width characters folded (NFKC), spaces and
punctuation dropped, the names of its divisions removed from the front (so "金水区幸福社区
3栋" and "3号楼" are the same key within 幸福社区), and 栋/幢/座 written 号楼. The register
holds buildings, courtyards or village groups, keyed the same way within their community.

An elder's address is matched in its own community only, longest first: the whole
address, then the address cut after each designator (室, 单元, 号楼, 号院, 号, 组, ...), so
"3号楼2单元1502室" finds the building "3号楼" and "5组12号" finds the group "5组". What matched
is stored as the source ``register``. Nothing found: the community's centre, stored as the
source ``community`` (approximate: the data-quality list shows it for correction). No address,
or a community without a centre: no coordinates (``none``).

Lookups are batched: :meth:`Geocoder.prefetch` reads every key of a batch in one query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from yiyang.core.models import Division
from yiyang.elders.choices import LocationSource
from yiyang.elders.models import AddressPoint

_PUNCTUATION = re.compile(r"[\s,，、.。·・•#＃\-—_/\\()（）\[\]【】\"'“”‘’:：;；]+")
_BUILDING = re.compile(r"(\d+)(?:号楼|栋|幢|座|号栋)")
# Where an address may be cut to find a coarser entry (longest match wins).
_DESIGNATORS = re.compile(r"(室|户|单元|号楼|号院|院|号|组|村|巷|弄|里|苑|区|期)")
_CN_DIGITS = dict(zip("一二三四五六七八九", range(1, 10), strict=True)) | {"两": 2}
_CN_NUMBER = re.compile(r"([一二两三四五六七八九十]{1,3})(?=号|栋|幢|单元|组|座|层|楼)")


def _cn_number(match: re.Match[str]) -> str:
    text = match.group(1)
    if "十" not in text:
        return "".join(str(_CN_DIGITS[c]) for c in text)
    tens, _sep, ones = text.partition("十")
    return str((_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0)))


def division_names(community: Division) -> list[str]:
    """The names of the community and its ancestors, longest first (stripped from keys)."""
    names: list[str] = []
    node: Division | None = community
    while node is not None:
        names.append(normalise(node.name))
        node = node.parent if node.parent_id else None
    return sorted({n for n in names if n}, key=len, reverse=True)


def normalise(text: str) -> str:
    """The comparable form of an address: folded, without spaces and punctuation."""
    value = unicodedata.normalize("NFKC", str(text or "")).casefold()
    value = _PUNCTUATION.sub("", value)
    value = _CN_NUMBER.sub(_cn_number, value)
    return _BUILDING.sub(r"\1号楼", value)


def address_key(address: str, names: Iterable[str] = ()) -> str:
    """The key of an address within its community: normalised, the divisions' names (city,
    district, street, community) removed from the front wherever they repeat."""
    value = normalise(address)
    names = list(names)
    stripped = True
    while stripped and value:
        stripped = False
        for name in names:
            if value.startswith(name) and len(value) > len(name):
                value, stripped = value[len(name) :], True
    return value


def candidate_keys(key: str) -> list[str]:
    """The whole key, then the key cut after each designator, longest first."""
    cuts = {m.end() for m in _DESIGNATORS.finditer(key)}
    keys = [key] + [key[:end] for end in sorted(cuts, reverse=True) if end < len(key)]
    return [k for k in dict.fromkeys(keys) if k]


@dataclass(frozen=True)
class Location:
    lat: Decimal | None
    lng: Decimal | None
    source: str
    # The register's address that matched (empty unless the source is the register).
    matched: str = ""


NOWHERE = Location(None, None, LocationSource.NONE)


class Geocoder:
    """Locates addresses within their community, from the register; one query per batch."""

    def __init__(self) -> None:
        self._points: dict[tuple[int, str], AddressPoint] = {}
        self._asked: set[tuple[int, str]] = set()
        self._names: dict[int, list[str]] = {}

    def _keys(self, community: Division, address: str) -> list[str]:
        names = self._names.get(community.pk)
        if names is None:
            names = self._names[community.pk] = division_names(community)
        return candidate_keys(address_key(address, names))

    def prefetch(self, pairs: Iterable[tuple[Division | None, str]]) -> None:
        """Read the register entries every (community, address) of a batch may match."""
        wanted = {
            (community.pk, key)
            for community, address in pairs
            if community is not None and address
            for key in self._keys(community, address)
        } - self._asked
        if not wanted:
            return
        self._asked |= wanted
        communities = {c for c, _k in wanted}
        keys = {k for _c, k in wanted}
        for point in AddressPoint.objects.filter(community_id__in=communities, key__in=keys):
            self._points[(point.community_id, point.key)] = point

    def locate(self, community: Division | None, address: str) -> Location:
        """Where the address lies: a register entry, else the community's centre, else
        nowhere (no address, or no centre to fall back on)."""
        if community is None or not address.strip():
            return NOWHERE
        self.prefetch([(community, address)])
        for key in self._keys(community, address):
            point = self._points.get((community.pk, key))
            if point is not None:
                return Location(point.lat, point.lng, LocationSource.REGISTER, point.address)
        if community.centroid_lat is None or community.centroid_lng is None:
            return NOWHERE
        return Location(community.centroid_lat, community.centroid_lng, LocationSource.COMMUNITY)


class Placed(Protocol):
    """What :func:`record_locate` reads and writes (an elder's ``Record``)."""

    community: Division | None
    address: str
    lat: Decimal | None
    lng: Decimal | None
    location_source: str


def record_locate(record: Placed, *, before: Placed | None, geocoder: Geocoder | None) -> None:
    """Decide the record's coordinates, for every write path (form, API, import); without a
    geocoder (an import's parsing worker, which has no database) nothing changes.

    Coordinates given now (new, or changed from the stored ones) are kept as entered. Else,
    when the record is new, its address or community changed, or its coordinates were
    cleared, the register locates it; otherwise the stored coordinates and source stand."""
    if geocoder is None:
        return
    point = (record.lat, record.lng)
    if point != (None, None) and (before is None or point != (before.lat, before.lng)):
        record.location_source = LocationSource.ENTERED
        return
    if before is not None and point != (None, None):
        moved = (record.address, record.community) != (before.address, before.community)
        if not moved:
            record.location_source = before.location_source
            return
    found = geocoder.locate(record.community, record.address)
    record.lat, record.lng, record.location_source = found.lat, found.lng, found.source


def geocoder_for(rows: Iterable[dict[str, Any]]) -> Geocoder:
    """A geocoder holding what a batch of row values (``community``, ``address``) may match."""
    geocoder = Geocoder()
    geocoder.prefetch((row.get("community"), str(row.get("address") or "")) for row in rows)
    return geocoder
