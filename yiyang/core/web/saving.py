"""Saving a posted form through a service, decided once: the form checks its fields, the
service decides the rest, and the service's refusals land next to the form's fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from yiyang.core.web.forms import apply_errors

F = TypeVar("F", bound=forms.BaseForm)


def form_saved(
    request: HttpRequest,
    form: F,
    write: Callable[..., Any],
    success: str,
    *,
    values: Callable[[F], Mapping[str, Any]] | None = None,
) -> bool:
    """Whether the request posted a valid form and ``write`` accepted its values (the
    cleaned data, or what ``values`` makes of the form) as keyword arguments; a success
    message is then queued. The caller redirects on True, shows the form again otherwise."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write(**(values(form) if values is not None else form.cleaned_data))
    except ValidationError as error:
        apply_errors(form, error)
        return False
    messages.success(request, success)
    return True
