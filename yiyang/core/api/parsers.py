"""The API's JSON parser: the depth-bounded parser of `yiyang.core.safejson`, so a deeply
nested body is a 400 with a clear message, never a RecursionError and a 500."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from yiyang.core import safejson


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        if not raw:
            raise ParseError(_("The request body is empty."))
        try:
            return safejson.loads(raw)
        except safejson.JSONError as exc:
            raise ParseError(_("Malformed JSON: %(reason)s") % {"reason": exc}) from None
