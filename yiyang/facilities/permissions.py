"""Who may do what with the facility network (roles listed once, in core.permissions)."""

from __future__ import annotations

from yiyang.core.permissions import Actor, Role

# Roles at or above the district see every hexagon's numbers; below, a hexagon of fewer
# than FACILITY_MIN_CELL_COUNT elders shows none (k-anonymity).
DISTRICT_AND_ABOVE = frozenset({Role.CITY_ADMIN, Role.DISTRICT_OFFICER, Role.AUDITOR})


def sees_small_counts(actor: Actor) -> bool:
    """Whether the actor may see the number of elders in a hexagon of fewer than the
    threshold: only roles scoped at the district or above."""
    prefix = actor.scope.division_prefix
    return str(actor.role) in DISTRICT_AND_ABOVE and prefix is not None and len(prefix) <= 6
