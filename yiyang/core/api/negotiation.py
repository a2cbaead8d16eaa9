"""Content negotiation for endpoints that answer with a file (a photo): the file is sent
as what it is whatever the client asks, and errors stay JSON even for a client that
accepts only images (never a 406 in their place)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request


class FileOrJsonNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
