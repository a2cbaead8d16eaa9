"""The demo city's address register (地址库), consistent with the generated elders.

The elders' addresses (``demo.elders``) name a building of their community (``{社区}{n}号楼``,
n = 1..40) in towns and a village group (``{村}{g}组``, g = 1..12) in the country; the
register holds every one of them, each at a fixed point near the community's centre (the
same for every seed, so a rebuilt city keeps its map). It goes in through the register's
own import, as a city's file would. The generated rows carry no coordinates, so every demo
elder is located from it, except the few whose address is not in it (community centre,
approximate) or who have none (no coordinates): the data-quality list's examples.
"""

from __future__ import annotations

import csv
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from yiyang.core.cells import safe_cell
from yiyang.demo.elders import RURAL_GROUPS, URBAN_BUILDINGS, CommunityInfo, community_infos

SPREAD = 0.006  # degrees around the community's centre (about 600 m)


@dataclass(frozen=True)
class DemoRegister:
    created: int = 0
    existing: int = 0


def _offset(code: str, label: str) -> float:
    digest = hashlib.sha256(f"{code}:{label}".encode()).digest()
    return (int.from_bytes(digest[:4], "big") / 2**32 * 2 - 1) * SPREAD


def register_rows(communities: list[CommunityInfo]) -> list[dict[str, str]]:
    """One row per building (towns) or village group (country) of every community."""
    rows = []
    for community in communities:
        if community.lat is None or community.lng is None:
            continue
        if community.is_urban:
            labels = [f"{n}号楼" for n in range(1, URBAN_BUILDINGS + 1)]
        else:
            labels = [f"{g}组" for g in range(1, RURAL_GROUPS + 1)]
        for label in labels:
            rows.append(
                {
                    "社区": community.code,
                    "地址": f"{community.name}{label}",
                    "纬度": f"{community.lat + _offset(community.code, label + 'lat'):.6f}",
                    "经度": f"{community.lng + _offset(community.code, label + 'lng'):.6f}",
                }
            )
    return rows


def demo_address_register_build(*, city_code: str) -> DemoRegister:
    """Import the register of the demo city unless it has one."""
    from yiyang.core.permissions import SystemActor
    from yiyang.core.scoping import Scope
    from yiyang.elders.address_import import address_register_import
    from yiyang.elders.models import AddressPoint

    existing = AddressPoint.objects.filter(division_code__startswith=city_code[:4]).count()
    if existing:
        return DemoRegister(existing=existing)
    rows = register_rows(community_infos())
    if not rows:
        return DemoRegister()
    actor = SystemActor(Scope(division_prefix=city_code[:4]), username="seed-demo")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-address-register.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
        result = address_register_import(actor=actor, path=path)
    if result.errors:
        first = result.errors[0]
        raise RuntimeError(f"demo address register: row {first.row}: {first.reason}")
    return DemoRegister(created=result.created)
