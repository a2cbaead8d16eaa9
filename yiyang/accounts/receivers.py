"""Auth signals are entry points like views: they translate and call one service."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from yiyang.accounts.models import User
from yiyang.accounts.services import login_recorded
from yiyang.core.choices import AuditAction


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    login_recorded(user=user, action=AuditAction.LOGIN)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        login_recorded(user=user, action=AuditAction.LOGOUT)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    login_recorded(user=None, action=AuditAction.LOGIN_FAILED, username=username)


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    login_recorded(user=None, action=AuditAction.LOCKED_OUT, username=str(username or "")[:150])
