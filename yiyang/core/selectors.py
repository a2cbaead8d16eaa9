"""Reads of the shared kernel, each scoped to the actor: divisions and the audit log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiyang.core.choices import DivisionLevel
from yiyang.core.filtering import filtered
from yiyang.core.filtersets import AuditEventFilterSet, DivisionFilterSet
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.resources import Readable


def division_queryset(*, actor: Actor) -> QuerySet[Division]:
    """Every division in the actor's jurisdiction (no permission check: for choices)."""
    return actor.scope.apply(Division.objects.select_related("parent"), division_code_field="code")


DIVISIONS = Readable(division_queryset, Permission.VIEW_DIVISIONS, DivisionFilterSet)
division_list = DIVISIONS.list
division_get_for_actor = DIVISIONS.get


def division_filter_choices(*, actor: Actor) -> QuerySet[Division]:
    """Districts, streets and communities of the actor's jurisdiction, for list filters."""
    return (
        division_queryset(actor=actor)
        .filter(level__in=[DivisionLevel.DISTRICT, DivisionLevel.STREET, DivisionLevel.COMMUNITY])
        .order_by("code")
        .select_related(None)
        .only("code", "name", "level")
    )


def division_roots(*, actor: Actor) -> QuerySet[Division]:
    """The top of the actor's visible tree: divisions whose parent they cannot see."""
    require_perm(actor, Permission.VIEW_DIVISIONS)
    prefix = actor.scope.division_prefix
    if prefix is None:
        return Division.objects.none()
    # A subtree's root has the prefix followed by zeros (GB/T 2260 codes are zero-padded).
    return division_queryset(actor=actor).filter(code=prefix.ljust(12, "0"))


def division_children(*, actor: Actor, division: Division) -> QuerySet[Division]:
    return division_queryset(actor=actor).filter(parent=division)


def division_ancestors(division: Division) -> list[Division]:
    """From the city down to the division's parent, for breadcrumbs."""
    chain: list[Division] = []
    node = division.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def audit_event_list(*, actor: Actor, filters: Any = None) -> QuerySet[AuditEvent]:
    """Audit events in the actor's jurisdiction; events with no division are city-wide."""
    require_perm(actor, Permission.VIEW_AUDIT_LOG)
    scope = actor.scope
    queryset = AuditEvent.objects.all()
    prefix = scope.division_prefix
    if prefix is None:
        return queryset.none()
    if len(prefix) > 4:
        queryset = queryset.filter(division_code__startswith=prefix)
    else:
        # A city-level auditor sees the city's events and those not tied to a division.
        queryset = queryset.filter(division_code__startswith=prefix) | queryset.filter(
            division_code=""
        )
    return filtered(queryset, AuditEventFilterSet, filters)
