"""Jurisdiction scope: the part of the city a user may see, applied to every query.

A scope is a division subtree (named by its code prefix: GB/T 2260 codes are hierarchical,
so a subtree is every code that starts with its root's significant digits), a set of
organisations, or both (then both must hold); or, for a role whose reach is people rather
than a place, the elders it is linked to (a family member: linked elders whose family-view
consent is in force). A user with none of these sees nothing.

Linked elders are a relation the elders app owns; it registers how to read them
(:func:`register_linked_elders`) so that the user's scope carries them without the core or
the accounts app importing the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)


def prefix_q(field: str, prefix: str) -> Q:
    """Division codes starting with ``prefix``, written as a range. A range uses a b-tree
    index under any collation; ``LIKE 'prefix%'`` does only under the C collation, and
    PostgreSQL databases usually run another (C.UTF-8 and en_US.UTF-8 included)."""
    if not prefix:
        return Q()
    if not prefix.isdigit():
        return Q(**{f"{field}__startswith": prefix})
    upper = str(int(prefix) + 1).zfill(len(prefix))
    if len(upper) > len(prefix):  # 999... has no upper bound of the same width
        return Q(**{f"{field}__gte": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


@dataclass(frozen=True)
class Scope:
    division_prefix: str | None = None
    organisation_ids: frozenset[int] | None = None
    # The elders a relation-based role reaches (None: not such a role). Records about other
    # elders, and records not about an elder, are out of its reach.
    elder_ids: frozenset[int] | None = None

    @property
    def is_empty(self) -> bool:
        """No place in the city: neither divisions nor organisations (a scope of linked
        elders alone is empty in this sense, so code that reads places gives it nothing)."""
        return self.division_prefix is None and self.organisation_ids is None

    def q(
        self,
        *,
        division_code_field: str | None,
        organisation_field: str | None,
        elder_field: str | None = None,
    ) -> Q | None:
        """The condition that keeps rows in scope, or None when nothing can be."""
        if self.elder_ids is not None:  # reach by relation alone: records about its elders
            if elder_field is None:
                return None
            return Q(**{f"{elder_field}__in": sorted(self.elder_ids)})
        if self.is_empty:
            return None
        condition = Q()
        if self.division_prefix is not None:
            if division_code_field is None:
                return None
            condition &= prefix_q(division_code_field, self.division_prefix)
        if self.organisation_ids is not None:
            if organisation_field is None:
                return None
            condition &= Q(**{f"{organisation_field}__in": sorted(self.organisation_ids)})
        return condition

    def apply(
        self,
        queryset: QuerySet[M],
        *,
        division_code_field: str | None = None,
        organisation_field: str | None = None,
        elder_field: str | None = None,
    ) -> QuerySet[M]:
        condition = self.q(
            division_code_field=division_code_field,
            organisation_field=organisation_field,
            elder_field=elder_field,
        )
        if condition is None:
            return queryset.none()
        return queryset.filter(condition)

    def covers_division_code(self, code: str) -> bool:
        """Whether a division (by code) lies inside the division part of this scope."""
        return self.division_prefix is not None and code.startswith(self.division_prefix)

    def covers_elder(self, *, elder_id: int | None, division_code: str) -> bool:
        """Whether an elder (living in ``division_code``) lies in the division or the linked
        elders of this scope (organisations aside: a provider's reach of elders is the
        areas it serves, which the visits app checks)."""
        if self.elder_ids is not None:
            return elder_id in self.elder_ids
        return self.covers_division_code(division_code)

    def covers(
        self, *, division_code: str | None, organisation_id: int | None, elder_id: Any = None
    ) -> bool:
        """The in-memory twin of :meth:`q`, for checking a single record before a write."""
        if self.elder_ids is not None:
            return elder_id is not None and elder_id in self.elder_ids
        if self.is_empty:
            return False
        if self.division_prefix is not None and not (
            division_code is not None and division_code.startswith(self.division_prefix)
        ):
            return False
        return self.organisation_ids is None or organisation_id in self.organisation_ids


EMPTY_SCOPE = Scope()

_linked_elders: list[Callable[..., Iterable[int]]] = []


def register_linked_elders(reader: Callable[..., Iterable[int]]) -> None:
    """The elders app tells how to read a user's linked elders (once, at start-up)."""
    if reader not in _linked_elders:
        _linked_elders.append(reader)


def linked_elder_ids(user: Any) -> frozenset[int]:
    """The elders ``user`` is linked to, as the registered relation reads them."""
    return frozenset(elder_id for reader in _linked_elders for elder_id in reader(user=user))
