"""One JSON parser for every entry point that reads JSON from outside (API bodies, device
callbacks, MQTT payloads, the routing server's answers): bounded in nesting depth, so a
hostile body can never make the program recurse until it fails. orjson parses without
Python recursion; the depth is then measured iteratively, so neither step can raise
RecursionError."""

from __future__ import annotations

from typing import Any

import orjson

DEFAULT_MAX_DEPTH = 32


class JSONError(ValueError):
    """The text is not JSON, or is nested deeper than allowed; the message says which."""


class JSONTooDeepError(JSONError):
    """The text is JSON nested deeper than allowed (a page can say so in the user's words)."""


def max_depth_setting() -> int:
    # Imported here: the solver core parses with an explicit depth and never loads Django.
    from django.conf import settings

    return int(getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def depth_exceeds(value: Any, limit: int) -> bool:
    """True when `value` nests lists/objects more than `limit` levels deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(raw: bytes | bytearray | memoryview | str, *, max_depth: int | None = None) -> Any:
    """Parse `raw` as JSON; raise JSONError when it is not JSON or nests too deep."""
    limit = max_depth_setting() if max_depth is None else max_depth
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):  # orjson's own cap, 1,024 levels
            raise JSONTooDeepError(f"nested more than {limit} levels deep") from None
        raise JSONError(f"not JSON: {exc}"[:200]) from None
    if depth_exceeds(value, limit):
        raise JSONTooDeepError(f"nested more than {limit} levels deep")
    return value
