"""Errors shared by every app's services."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def row_errors(errors: dict[int, dict[str, str]]) -> ValidationError:
    """One ValidationError naming each bad row (1-based) and field, for bulk writes."""
    return ValidationError(
        {
            f"row {row}: {field}": [message]
            for row, fields in sorted(errors.items())
            for field, message in fields.items()
        }
    )
