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


def unknown_field_errors(values: Mapping[str, object], allowed: Collection[str]) -> dict[str, str]:
    """One message for each key of ``values`` a service does not accept (field: reason)."""
    return {
        name: _("%(field)s is not a field that can be set here.") % {"field": name}
        for name in sorted(set(values) - set(allowed))
    }


def reject_unknown_fields(values: Mapping[str, object], allowed: Collection[str]) -> None:
    """Refuse keys a service does not accept, naming each one (field: reason), rather than
    dropping them silently: a caller that passes a misspelt or retired field hears of it.
    Bulk writes put :func:`unknown_field_errors` into their :func:`row_errors` instead."""
    unknown = unknown_field_errors(values, allowed)
    if unknown:
        raise ValidationError({name: [message] for name, message in unknown.items()})
