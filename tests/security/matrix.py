"""Shared parts of the scope matrices: the roles, the places of the test world, and the
status a role gets for a record outside its reach."""

from __future__ import annotations

from yiyang.core.permissions import Permission, Role

ROLES = [str(role) for role in Role]
# One community in each street of city X, and one in city Y (outside every scope).
PLACES = ["XA1a", "XA1b", "XA2a", "XB1a", "YA1a"]
X_ALL = {"XA1a", "XA1b", "XA2a", "XB1a"}
XA = {"XA1a", "XA1b", "XA2a"}


def holds(role: str, permission: Permission) -> bool:
    return role in permission.roles


def denied(role: str, permission: Permission) -> int:
    """404 for a role that holds the permission (the record is outside its scope), 403 for a
    role that does not hold it at all."""
    return 404 if holds(role, permission) else 403
