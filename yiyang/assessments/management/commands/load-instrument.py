"""``yiyang load-instrument FILE.json [--inactive]``: store a new edition or local variant of
an assessment instrument (same JSON format as yiyang/assessments/instruments/). Exit 0 when
stored (or already there, identical), 2 when the file is unreadable or invalid."""

from __future__ import annotations

from typing import Any

from yiyang.assessments.services import instrument_load
from yiyang.core.commands import LoadDefinitionCommand


class Command(LoadDefinitionCommand):
    help = "Store an edition of an assessment instrument from a JSON file."
    what = "instrument"

    def load(self, definition: Any, *, activate: bool) -> Any:
        return instrument_load(definition=definition, activate=activate)
