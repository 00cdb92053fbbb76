"""Request parsers of the API.

A module of its own: DRF resolves DEFAULT_PARSER_CLASSES while rest_framework.views is
being imported, so this must not import rest_framework.views (core.api does).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (NaN and Infinity refused), where nesting too deep for the decoder is a 400, not a 500.

    API bodies are JSON only (API.md); this is the default parser of every API view.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
