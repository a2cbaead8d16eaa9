"""What every lifecycle module shares: the refusal of an action, with its reason.

Each resource with a lifecycle has one module (``<app>/lifecycle.py``) whose functions list
the actions an actor may take now (the page's buttons) and guard the same actions in the
services, through :class:`Refusal` (docs/adr/0007)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Self, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError

from yiyang.core.permissions import Actor, Permission, has_perm

A = TypeVar("A")


@dataclass(frozen=True)
class Refusal:
    """Why an action is not open: ``denied`` is a matter of who the actor is (403), otherwise
    of the object's state or reach (a field error on ``field``)."""

    message: str
    field: str = "status"
    denied: bool = False

    def raise_(self) -> None:
        if self.denied:
            raise PermissionDenied(self.message)
        raise ValidationError({self.field: self.message})


class Action(enum.StrEnum):
    """An action of a lifecycle with the permission a role needs to take it; a member is
    written ``NAME = "value", Permission.X``."""

    permission: Permission

    def __new__(cls, value: str, permission: Permission) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.permission = permission
        return member


def permission_refusal(actor: Actor, permission: Permission) -> Refusal | None:
    """An actor whose role lacks ``permission`` is refused (403), naming the permission."""
    if has_perm(actor, permission):
        return None
    return Refusal(str(permission.label), denied=True)


def refuse(refusal: Refusal | None) -> None:
    """A lifecycle's guard for the services: raise the refusal, if any."""
    if refusal is not None:
        refusal.raise_()


def refuse_denied(refusal: Refusal | None) -> None:
    """Raise the refusal only when it is about who the actor is (403): said before anything
    else, while a refusal of the object's state waits for the guard under the row lock."""
    if refusal is not None and refusal.denied:
        refusal.raise_()


def open_actions(actions: Iterable[A], refusal: Callable[[A], Refusal | None]) -> frozenset[A]:
    """The actions ``refusal`` lets through now (a page's buttons)."""
    return frozenset(action for action in actions if refusal(action) is None)
