from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiyang.accounts import services
from yiyang.accounts.choices import OTP_SESSION_FLAG as SESSION_FLAG
from yiyang.accounts.choices import ROLE_HELP
from yiyang.accounts.models import User
from yiyang.accounts.selectors import UserFilterSet, user_get_for_actor, user_list
from yiyang.accounts.web.forms import OTPForm, UserForm
from yiyang.core.permissions import (
    Permission,
    Role,
    has_perm,
    permissions_of,
    request_actor,
    require_perm,
)
from yiyang.core.selectors import audit_event_list
from yiyang.core.web.csv import list_export_view
from yiyang.core.web.lists import list_response
from yiyang.core.web.saving import edit_response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Anyone logged in changes their own password (old one required, validators apply)."""

    template_name = "accounts/password_change.html"
    success_url = "/"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed_recorded(user=form.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        self.request.session.pop(SESSION_FLAG, None)
        return response


@require_http_methods(["GET", "POST"])
@login_required
def otp_view(request: HttpRequest) -> HttpResponse:
    """Verify a TOTP code, or enrol an authenticator the first time."""
    user = cast(User, request.user)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect("home")
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = OTPForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            if confirmed.verify_token(form.cleaned_data["token"]):
                otp_login(request, confirmed)
                return redirect(request.GET.get("next") or "home")
            services.otp_failed_recorded(user=user)
            form.add_error(
                "token", _("That code is not right, or it has expired. Try the next one.")
            )
        return render(request, "accounts/otp_verify.html", {"form": form})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = services.totp_device_start(user=user)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(
            user=user,
            device=device,
            token=form.cleaned_data["token"],
        ):
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is set up."))
            return redirect("home")
        form.add_error("token", _("That code is not right. Check the time on your phone."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": _totp_secret(device)},
    )


def _totp_secret(device: TOTPDevice) -> str:
    """The base32 key, for typing into an authenticator app that cannot scan."""
    return parse_qs(urlsplit(device.config_url).query)["secret"][0]


@login_required
def user_list_view(request: HttpRequest) -> HttpResponse:
    users = user_list(actor=request_actor(request), filters=request.GET)
    return list_response(
        request,
        "accounts/user_list.html",
        users,
        {
            "filterset": UserFilterSet(request.GET),
            "can_manage": has_perm(request_actor(request), Permission.MANAGE_USERS),
            "can_export": has_perm(request_actor(request), Permission.EXPORT_DATA),
        },
    )


# Users in scope as CSV (no password data); the export is audited.
user_export_view = list_export_view(
    permission=Permission.EXPORT_DATA,
    rows=user_list,
    filename="users.csv",
    columns=[
        "external_id",
        "username",
        "full_name",
        "role",
        ("division_code", "division.code"),
        ("organisation", "organisation.name"),
        "is_active",
        ("last_login", lambda u: u.last_login.isoformat() if u.last_login else ""),
    ],
)


@login_required
def user_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    target = user_get_for_actor(actor=request_actor(request), external_id=external_id)
    events = None
    if has_perm(request_actor(request), Permission.VIEW_AUDIT_LOG):
        events = audit_event_list(actor=request_actor(request)).filter(
            object_type="accounts.user", object_id=str(target.external_id)
        )[:20]
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "events": events,
            "can_manage": has_perm(request_actor(request), Permission.MANAGE_USERS),
            "permissions": permissions_of(target.role),
            "has_otp": TOTPDevice.objects.filter(user=target, confirmed=True).exists(),
            "locked_out": services.user_is_locked_out(target),
        },
    )


def _user_action(
    request: HttpRequest, external_id: str, service: Callable[..., Any], done: str
) -> HttpResponse:
    """One of the administrator's buttons on a user's page: run its service (which checks
    the permission), say what was done and go back to the user."""
    actor = request_actor(request)
    target = user_get_for_actor(actor=actor, external_id=external_id)
    service(actor=actor, user=target)
    messages.success(request, done)
    return redirect("accounts:user-detail", external_id=target.external_id)


@require_http_methods(["POST"])
@login_required
def user_otp_reset_view(request: HttpRequest, external_id: str) -> HttpResponse:
    done = _("Two-factor authentication was reset; the user enrols again.")
    return _user_action(request, external_id, services.user_otp_reset, done)


@require_http_methods(["POST"])
@login_required
def user_unlock_view(request: HttpRequest, external_id: str) -> HttpResponse:
    return _user_action(
        request, external_id, services.user_unlock, _("The login lockout was lifted.")
    )


@require_http_methods(["GET", "POST"])
@login_required
def user_edit_view(request: HttpRequest, external_id: str | None = None) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_USERS)
    target = user_get_for_actor(actor=actor, external_id=external_id) if external_id else None
    form = UserForm(request.POST or None, instance=target, actor=actor)

    def write(password: str | None, **data: Any) -> User:
        if target is None:
            return services.user_create(actor=actor, password=password or "", **data)
        return services.user_update(actor=actor, user=target, password=password or None, **data)

    return edit_response(
        request,
        form,
        write,
        detail="accounts:user-detail",
        template="accounts/user_form.html",
        context={"target": target},
    )


@login_required
def roles_view(request: HttpRequest) -> HttpResponse:
    require_perm(request_actor(request), Permission.VIEW_USERS)
    rows = [
        {
            "role": role,
            "help": ROLE_HELP[role],
            "held": [p.title for p in Permission if role.value in p.roles],
        }
        for role in Role
    ]
    return render(
        request,
        "accounts/roles.html",
        {"rows": rows, "permissions": list(Permission)},
    )
