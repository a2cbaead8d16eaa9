"""What the import and report commands share: ``--user`` and ``--language``, and whom the
command acts as."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from yiyang.core.permissions import Actor, SystemActor
from yiyang.core.scoping import Scope


def add_import_arguments(
    parser: CommandParser,
    *,
    user_help: str = "act as this user (their jurisdiction); default: the whole platform",
    language_of: str = "the messages",
) -> None:
    """``--user`` and ``--language``, as every import command takes them."""
    parser.add_argument("--user", help=user_help)
    parser.add_argument(
        "--language",
        default="zh-hans",
        choices=["zh-hans", "en"],
        help=f"language of {language_of} (default Simplified Chinese)",
    )


def command_actor(username: str | None, *, name: str) -> Actor | None:
    """Whom a command acts as: the active user ``--user`` names (None when there is no such
    user), or, without ``--user``, the whole platform under the command's ``name``."""
    if not username:
        return SystemActor(Scope(division_prefix=""), username=name)
    found: Actor | None = get_user_model().objects.filter(username=username, is_active=True).first()
    return found
