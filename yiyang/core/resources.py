"""A readable resource: the one place that says which records an actor may list (with the
list's filters) and fetch by public id, so the page, the API and exports ask the same
question the same way (in the spirit of NetBox's ``RestrictedQuerySet.restrict``).

A selectors module declares its resource once and exposes the two reads under their usual
names::

    DIVISIONS = Readable(division_queryset, Permission.VIEW_DIVISIONS, DivisionFilterSet)
    division_list = DIVISIONS.list
    division_get_for_actor = DIVISIONS.get
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from django_filters import FilterSet

from yiyang.core.filtering import filtered
from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Actor, Permission, require_perm

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Readable(Generic[M]):
    """``queryset(actor=)`` is every record in the actor's reach (scope applied, no
    permission check: form choices use it too); reading needs ``permission``."""

    queryset: Callable[..., QuerySet[M]]
    permission: Permission
    filterset: type[FilterSet]

    def list(self, *, actor: Actor, filters: Any = None) -> QuerySet[M]:
        """The records the actor may see, narrowed by the list's filter parameters."""
        require_perm(actor, self.permission)
        return filtered(self.queryset(actor=actor), self.filterset, filters)

    def get(self, *, actor: Actor, external_id: uuid.UUID | str) -> M:
        """One record in the actor's reach, or 404 (also for a malformed id)."""
        require_perm(actor, self.permission)
        return get_or_404(self.queryset(actor=actor), external_id=external_id)
