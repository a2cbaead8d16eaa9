from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError next to the form's fields."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target if field != NON_FIELD_ERRORS else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def changed_values(form: forms.BaseForm) -> dict[str, Any]:
    """The values the user changed on an edit form: a hidden or untouched field is never
    passed on, so the service never overwrites it."""
    return {name: form.cleaned_data[name] for name in form.changed_data}


def error_text(error: ValidationError) -> str:
    """A service's refusal as one message, for a page that has no form to show it on."""
    return " ".join(str(message) for message in error.messages)


def error_messages(error: ValidationError) -> list[str]:
    """A service's refusal as messages of their own, one for each problem."""
    return [str(message) for message in error.messages]


class ServiceValidatedModelForm(forms.ModelForm):
    """A ModelForm that parses fields only; the service does the domain validation."""

    def _post_clean(self) -> None:
        # Skip model.full_clean(): uniqueness and rules are the service's, with clearer messages.
        pass


def with_blank(choices: Any) -> list[tuple[str, Any]]:
    """A code list with an empty first choice ("not stated", or "any" in a filter)."""
    return [("", "—"), *choices]


def optional_choice(label: Any, choices: Any, **kwargs: Any) -> forms.ChoiceField:
    """A choice that may be left empty."""
    return forms.ChoiceField(label=label, choices=with_blank(choices), required=False, **kwargs)


class DatePickerField(forms.DateField):
    """A date from the browser's date picker. Its value is written as ISO (YYYY-MM-DD), the
    only form the picker reads, whatever the page's language (Chinese writes 2026/01/05)."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateTimePickerField(forms.DateTimeField):
    """A date and time from the browser's picker (``datetime-local``), written and read as
    ISO whatever the page's language."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def limit_choices(form: forms.BaseForm, field_name: str, queryset: QuerySet[Any]) -> None:
    """Offer only these records in a model-choice field (those in the actor's scope)."""
    field = form.fields[field_name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset
