"""Saving a posted form through a service, decided once: the form checks its fields, the
service decides the rest, and the service's refusals land next to the form's fields (or, for
a button without a page of its own, in a message)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yiyang.core.web.forms import apply_errors, error_text

F = TypeVar("F", bound=forms.BaseForm)
# The message once saved: words, words made of what was written, or none.
Success = str | Callable[[Any], str] | None

# What ``_written`` answers when nothing was written (a write may itself return None).
_UNSAVED = object()


def _written(
    request: HttpRequest,
    form: F,
    write: Callable[..., Any],
    values: Callable[[F], Mapping[str, Any]] | None,
    denied: str | None,
) -> Any:
    """What ``write`` returned for a posted, valid form, or ``_UNSAVED``."""
    if request.method != "POST" or not form.is_valid():
        return _UNSAVED
    try:
        return write(**(values(form) if values is not None else form.cleaned_data))
    except ValidationError as error:
        apply_errors(form, error)
    except PermissionDenied:
        if denied is None:
            raise
        form.add_error(None, denied)
    return _UNSAVED


def _said(request: HttpRequest, success: Success, result: Any) -> None:
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)


def form_saved(
    request: HttpRequest,
    form: F,
    write: Callable[..., Any],
    success: Success,
    *,
    values: Callable[[F], Mapping[str, Any]] | None = None,
    denied: str | None = None,
) -> bool:
    """Whether the request posted a valid form and ``write`` accepted its values (the
    cleaned data, or what ``values`` makes of the form) as keyword arguments; a success
    message is then queued. The caller redirects on True, shows the form again otherwise.
    A refusal for who the actor is (PermissionDenied) is the form's error ``denied`` when
    given, a 403 otherwise."""
    result = _written(request, form, write, values, denied)
    if result is _UNSAVED:
        return False
    _said(request, success, result)
    return True


def form_response(
    request: HttpRequest,
    form: F,
    write: Callable[..., Any],
    success: Success,
    *,
    done: Callable[[Any], HttpResponse],
    again: Callable[[], HttpResponse],
    values: Callable[[F], Mapping[str, Any]] | None = None,
    denied: str | None = None,
) -> HttpResponse:
    """A form page's answer: once ``write`` has accepted the posted form (as
    :func:`form_saved`), the ``success`` message (or what it makes of the written result)
    and ``done(result)``, usually a redirect; otherwise ``again()``, the page with the form
    and its errors (or a GET's empty form)."""
    result = _written(request, form, write, values, denied)
    if result is _UNSAVED:
        return again()
    _said(request, success, result)
    return done(result)


def edit_response(
    request: HttpRequest,
    form: F,
    write: Callable[..., Any],
    *,
    detail: str,
    template: str,
    context: Mapping[str, Any],
    success: Success = None,
    values: Callable[[F], Mapping[str, Any]] | None = None,
    refused_status: int = 200,
) -> HttpResponse:
    """A record's form page (creating or editing it), as :func:`form_response`: once saved,
    "Saved." (or ``success``) and the saved record's ``detail`` page (a URL name taking its
    ``external_id``); otherwise ``template`` with the ``form`` and ``context``, answered
    with ``refused_status`` when a posted form was refused."""
    refused = refused_status if request.method == "POST" else 200
    return form_response(
        request,
        form,
        write,
        success if success is not None else _("Saved."),
        values=values,
        done=lambda saved: redirect(detail, external_id=saved.external_id),
        again=lambda: render(request, template, {"form": form, **context}, status=refused),
    )


def action_done(
    request: HttpRequest,
    act: Callable[[], Any],
    success: Success,
    *,
    wording: Callable[[ValidationError], str | Sequence[str]] = error_text,
) -> bool:
    """A button that posts no form of its own (cancel, remove, withdraw...): whether ``act``
    was done. The service's refusal becomes error messages (``wording`` puts it into words:
    one message, or several, as :func:`error_messages` does), success the ``success``
    message (or what it makes of what ``act`` returned); the caller then redirects."""
    try:
        result = act()
    except ValidationError as error:
        worded = wording(error)
        for text in [worded] if isinstance(worded, str) else worded:
            messages.error(request, text)
        return False
    _said(request, success, result)
    return True
