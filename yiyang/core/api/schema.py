"""Schema post-processing: the error answers every operation can give, documented once.

Each operation may answer 400 (bad input: a message per field), 401 (no or a bad token),
403 (the role may not), 404 (unknown, out of scope or malformed id; a page past the end),
413 (body too large) and 429 (throttled); all are JSON objects. Declaring them on every
operation keeps the published schema and the responses in agreement (the schemathesis
test checks status codes against it).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` with a message, or a list of messages per field.",
    "additionalProperties": True,
}
ERRORS = {
    "400": "Bad input: a message per field (`non_field_errors` for the whole request).",
    "401": "Not authenticated.",
    "403": "The caller's role may not do this.",
    "404": "Not found: unknown, outside the caller's scope, or a malformed id.",
    "413": "The request body is too large.",
    "429": "Too many requests.",
}


# Times of day (visit windows, working hours) are wall-clock times in the city's time zone,
# written without an offset ("09:30" or "09:30:00"); RFC 3339 ``format: time`` requires one.
LOCAL_TIME = {
    "type": "string",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "description": "A time of day in the city's time zone, without an offset (HH:MM[:SS]).",
    "example": "09:30:00",
}


def _local_times(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            for key, value in LOCAL_TIME.items():
                node.setdefault(key, value)
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    _local_times(result)
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    shared = components.setdefault("responses", {})
    for code, description in ERRORS.items():
        shared[f"Error{code}"] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code in ERRORS:
                responses.setdefault(code, {"$ref": f"#/components/responses/Error{code}"})
    return result


# The bounds a model's integer field gets from the database backend (SQLite: 64-bit;
# PostgreSQL: the column type's range): not part of the API's contract, and different per
# database, so the committed schema would depend on where it was generated.
_DATABASE_MAXIMA = {32767, 2147483647, 9223372036854775807}
_DATABASE_MINIMA = {-32768, -2147483648, -9223372036854775808}


def drop_database_integer_bounds(
    result: dict[str, Any], generator: Any, request: Any, public: Any
) -> dict[str, Any]:
    """Remove database-derived integer bounds (and the int64 format they imply)."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("maximum") in _DATABASE_MAXIMA:
                node.pop("maximum")
                if node.get("format") == "int64":
                    node.pop("format")
            if node.get("minimum") in _DATABASE_MINIMA:
                node.pop("minimum")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema generator, with one correction: a read-only choice field
    whose model field may be blank (or null) answers "" (or null) when nothing was recorded,
    and the schema says so. DRF drops ``allow_blank`` from read-only fields, so the
    generated enum would otherwise exclude the very value the field answers (probe finding
    9: ``ability_level ""`` and ``outcome ""`` outside their enums)."""

    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> Any:
        if isinstance(field, serializers.ChoiceField) and field.read_only:
            model_field = _model_field(field)
            if model_field is not None:
                field.allow_blank = field.allow_blank or bool(model_field.blank)
                field.allow_null = field.allow_null or bool(model_field.null)
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _model_field(field: Any) -> Any:
    """The model field a serializer field reads directly (``source`` a plain name), if any."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        return model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
