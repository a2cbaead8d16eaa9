"""``yiyang load-rating-scheme FILE.json [--inactive]``: store a city's own rating scheme or
a later edition (the format of yiyang/supervision/schemes/gbt37276-2018.json). Exit 0 when
stored (or already there), 2 when the file is unreadable or invalid (nothing written)."""

from __future__ import annotations

from typing import Any

from yiyang.core.commands import LoadDefinitionCommand
from yiyang.supervision.services import rating_scheme_load


class Command(LoadDefinitionCommand):
    help = "Store a star-rating scheme from a JSON file."
    what = "scheme"

    def load(self, definition: Any, *, activate: bool) -> Any:
        return rating_scheme_load(definition=definition, activate=activate)
