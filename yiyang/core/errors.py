"""Errors shared by every app's services."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def row_errors(errors: dict[int, dict[str, str]]) -> ValidationError:
    """One ValidationError naming each bad row (1-based) and field, for bulk writes."""
    return ValidationError(
        {
            f"row {row}: {field}": [message]
            for row, fields in sorted(errors.items())
            for field, message in fields.items()
        }
    )


def reject_unknown_fields(values: Mapping[str, object], allowed: Collection[str]) -> None:
    """Refuse keys a service does not accept, naming each one (field: reason), rather than
    dropping them silently: a caller that passes a misspelt or retired field hears of it."""
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError(
            {
                name: [_("%(field)s is not a field that can be set here.") % {"field": name}]
                for name in unknown
            }
        )
