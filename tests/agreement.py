"""What the page/service agreement tests share: whether a service accepts a call now."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404


class AcceptedError(Exception):
    """Raised to roll back a call the service accepted."""


def service_accepts(call: Callable[[], object]) -> bool:
    """Whether ``call`` goes through (its writes are rolled back either way): False when the
    service refuses it (403, a field error or 404)."""
    try:
        with transaction.atomic():
            call()
            raise AcceptedError
    except AcceptedError:
        return True
    except (PermissionDenied, ValidationError, Http404):
        return False
