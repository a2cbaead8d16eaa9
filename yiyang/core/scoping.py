"""Jurisdiction scope: the part of the city a user may see, applied to every query.

A scope is a division subtree (named by its code prefix: GB/T 2260 codes are hierarchical,
so a subtree is every code that starts with its root's significant digits), a set of
organisations, or both (then both must hold); or, for a role whose reach is people rather
than a place, the elders it is linked to (a family member: linked elders whose family-view
consent is in force). A user with none of these sees nothing.

Two more relations are expressed here rather than as role comparisons in the apps:

- **Assigned work.** A worker (a caregiver, an assessor, an evaluator: the roles in
  :data:`yiyang.core.permissions.WORKER_ROLES`) reaches the work records assigned to them
  (visits, deliveries, assessments, evaluations) wherever they are, and work open to any
  worker (an unassigned assessment request) in their place; records that are work but no
  worker's (orders, served meals) are beyond them. Records that are not work are reached by
  place as for anyone. A query says which of its fields name the worker (``worker_fields``).
- **Served areas.** A scope bound to organisations (a provider) reaches, for taking orders,
  the elders who live in the areas those organisations serve (:meth:`Scope.served_q`).

Linked elders and served areas are relations other apps own (the elders registry, the
service areas); they register how to read them (:func:`register_linked_elders`,
:func:`register_served_areas`) so that the scope carries them without the core or the
accounts app importing those apps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
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
    # The user whose assigned work this scope reaches (None: not a worker).
    worker_id: int | None = None

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
        worker_fields: tuple[str, ...] | None = None,
        open_work: Q | None = None,
    ) -> Q | None:
        """The condition that keeps rows in scope, or None when nothing can be.

        ``worker_fields`` marks the rows as work: the fields that name the user doing it
        (``()``: work that is no worker's). ``open_work`` is the condition of rows open to
        any worker; a worker reaches those in their place."""
        if self.worker_id is not None and worker_fields is not None:
            return self._work_q(
                worker_fields,
                open_work,
                division_code_field=division_code_field,
                organisation_field=organisation_field,
            )
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

    def _work_q(
        self,
        worker_fields: tuple[str, ...],
        open_work: Q | None,
        *,
        division_code_field: str | None,
        organisation_field: str | None,
    ) -> Q | None:
        condition = Q()
        for field in worker_fields:
            condition |= Q(**{field: self.worker_id})
        if open_work is not None:
            place = replace(self, worker_id=None).q(
                division_code_field=division_code_field, organisation_field=organisation_field
            )
            if place is not None:
                condition |= open_work & place
        return condition if condition else None

    def apply(
        self,
        queryset: QuerySet[M],
        *,
        division_code_field: str | None = None,
        organisation_field: str | None = None,
        elder_field: str | None = None,
        worker_fields: tuple[str, ...] | None = None,
        open_work: Q | None = None,
    ) -> QuerySet[M]:
        condition = self.q(
            division_code_field=division_code_field,
            organisation_field=organisation_field,
            elder_field=elder_field,
            worker_fields=worker_fields,
            open_work=open_work,
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
        areas it serves, :meth:`served_q`)."""
        if self.elder_ids is not None:
            return elder_id in self.elder_ids
        return self.covers_division_code(division_code)

    def served_q(self, division_code_field: str) -> Q | None:
        """Rows (an elder, by where they live) in the areas the scope's organisations serve,
        or None when the scope is not bound to organisations or they serve nowhere."""
        if self.organisation_ids is None:
            return None
        prefixes = served_prefixes(self.organisation_ids)
        if "" in prefixes:  # an area of the whole city
            return Q(**{f"{division_code_field}__isnull": False})
        condition = Q()
        for prefix in sorted(prefixes):
            condition |= prefix_q(division_code_field, prefix)
        return condition if condition else None

    def serves_division_code(self, code: str) -> bool:
        """The in-memory twin of :meth:`served_q`."""
        return self.organisation_ids is not None and any(
            code.startswith(prefix) for prefix in served_prefixes(self.organisation_ids)
        )

    def covers(
        self,
        *,
        division_code: str | None,
        organisation_id: int | None,
        elder_id: Any = None,
        worker_ids: Iterable[int | None] | None = None,
    ) -> bool:
        """The in-memory twin of :meth:`q`, for checking a single record before a write
        (``worker_ids``: who the record, as work, is assigned to)."""
        if self.worker_id is not None and worker_ids is not None:
            return self.worker_id in set(worker_ids)
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


_served_areas: list[Callable[[frozenset[int]], Iterable[str]]] = []


def register_served_areas(reader: Callable[[frozenset[int]], Iterable[str]]) -> None:
    """The services app tells how to read the division prefixes organisations serve."""
    if reader not in _served_areas:
        _served_areas.append(reader)


def served_prefixes(organisation_ids: frozenset[int]) -> frozenset[str]:
    """The division prefixes of the areas the organisations serve ("" is the whole city)."""
    return frozenset(prefix for reader in _served_areas for prefix in reader(organisation_ids))
