"""History pages' rows: audit events with their changes as (label, old, new), one shape for
every app that shows a record's history (the table is ``core/_history_table.html``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any


def history_rows(
    events: Iterable[Any], *, labels: Mapping[str, Any], value: Callable[[str, Any], str]
) -> list[dict[str, Any]]:
    """Each event with its changes: ``labels`` names a field, ``value(key, v)`` words a value.
    Keys starting with ``_`` are bookkeeping and left out; a change kept as ``[old, new]``
    shows both, anything else is the new value alone."""
    rows = []
    for event in events:
        changes = []
        for key, change in (event.changes or {}).items():
            if key.startswith("_"):
                continue
            old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
            changes.append(
                {
                    "label": labels.get(key, key),
                    "old": value(key, old) if old is not None else "",
                    "new": value(key, new),
                }
            )
        rows.append({"event": event, "changes": changes})
    return rows
