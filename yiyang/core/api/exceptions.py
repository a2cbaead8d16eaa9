"""Every API error is JSON with a clear message, never a 500 for bad input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    ValidationError,
)
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def validation_error_detail(error: ValidationError) -> Any:
    if hasattr(error, "error_dict"):
        return dict(error.message_dict)
    return {"non_field_errors": error.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ValidationError):
        return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request body is too large.")},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent | SuspiciousOperation):
        return Response({"detail": _("Malformed request.")}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied) and not isinstance(exc, exceptions.APIException):
        exc = exceptions.PermissionDenied(_("Your role does not allow this."))
    return drf_exception_handler(exc, context)
