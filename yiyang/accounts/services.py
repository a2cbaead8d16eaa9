"""The accounts app owns the people who log in: their role, their scope, their
credentials (passwords, TOTP devices, API tokens) and the record of their logins."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, TypedDict

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from typing_extensions import Unpack

from yiyang.accounts.choices import NONE, REQUIRED, ROLE_SCOPE, two_factor_roles
from yiyang.accounts.models import ApiToken, User
from yiyang.core.audit import audit_record, created, diff, snapshot
from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, Role, require_perm
from yiyang.organisations.choices import PROVIDER_KINDS
from yiyang.organisations.models import Organisation

USER_FIELDS = ("username", "full_name", "email", "role", "division", "organisation", "is_active")
API_TOKEN_DAYS = 90


class UserValues(TypedDict, total=False):
    """What :func:`user_create` and :func:`user_update` accept besides the password
    (``USER_FIELDS``)."""

    role: str
    division: Division | None
    organisation: Organisation | None
    username: str
    full_name: str
    email: str
    is_active: bool


def role_requires_2fa(role: str) -> bool:
    """Whether the role must give a TOTP code at login: the roles YIYANG_2FA_REQUIRED_ROLES
    lists when it is set (empty in demo mode), else those derived from scope and
    permissions (:func:`yiyang.accounts.choices.two_factor_roles`)."""
    listed = settings.YIYANG_2FA_REQUIRED_ROLES
    return role in (two_factor_roles() if listed is None else listed)


def user_needs_otp(user: User) -> bool:
    """Whether a login must be completed with a TOTP code."""
    return (
        role_requires_2fa(user.role)
        or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )


def _user_errors(
    *, values: Mapping[str, Any], actor: Actor, instance: User | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    username = str(values.get("username") or "").strip()
    if not username:
        errors["username"] = _("Give a username.")
    elif (
        User.objects.filter(username__iexact=username)
        .exclude(pk=instance.pk if instance else -1)
        .exists()
    ):
        errors["username"] = _("The username %(u)s is taken.") % {"u": username}
    role = values.get("role")
    if role not in Role.values:
        errors["role"] = _("Choose a role.")
        return errors
    division: Division | None = values.get("division")
    organisation: Organisation | None = values.get("organisation")
    need_division, level, need_org = ROLE_SCOPE[role]
    role_label = Role(role).label
    if need_division == REQUIRED and division is None:
        errors["division"] = _("A %(role)s is tied to a division.") % {"role": role_label}
    if need_division == NONE and division is not None:
        errors["division"] = _("A %(role)s is not tied to a division.") % {"role": role_label}
    if division is not None and level is not None and division.level != level:
        errors["division"] = _("A %(role)s is tied to a %(level)s.") % {
            "role": role_label,
            "level": str(DivisionLevel(level).label).lower(),
        }
    if need_org == REQUIRED and organisation is None:
        errors["organisation"] = _("A %(role)s belongs to an organisation.") % {"role": role_label}
    if need_org == NONE and organisation is not None:
        errors["organisation"] = _("A %(role)s does not belong to an organisation.") % {
            "role": role_label
        }
    if (
        organisation is not None
        and role in (Role.PROVIDER_MANAGER, Role.CAREGIVER)
        and organisation.kind not in PROVIDER_KINDS
    ):
        errors["organisation"] = _("Choose a provider, not a government office.")
    scope = actor.scope
    if division is not None and not scope.covers_division_code(division.code):
        errors["division"] = _("This division lies outside your jurisdiction.")
    if organisation is not None and not scope.covers(
        division_code=organisation.division.code, organisation_id=organisation.pk
    ):
        errors["organisation"] = _("This organisation lies outside your jurisdiction.")
    return errors


def _refuse(errors: dict[str, str], password: str | None, user: User) -> None:
    """Raise the field errors found, with what the password validators say of ``password``
    (None: the password does not change and is not checked). Nothing raised: all is well."""
    if password is not None:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def user_create(*, actor: Actor, password: str, **values: Unpack[UserValues]) -> User:
    """Create a login with a role and a scope inside the actor's jurisdiction."""
    require_perm(actor, Permission.MANAGE_USERS)
    reject_unknown_fields(values, USER_FIELDS)
    values["username"] = str(values.get("username") or "").strip()
    errors = _user_errors(values=values, actor=actor, instance=None)
    user = User(**values)
    _refuse(errors, password, user)
    user.set_password(password)
    user.save()
    _audit(
        actor,
        AuditAction.CREATE,
        user,
        created(user, USER_FIELDS),
    )
    return user


@transaction.atomic
def user_update(
    *, actor: Actor, user: User, password: str | None = None, **values: Unpack[UserValues]
) -> User:
    """Change a user's role, scope, status or password; role changes are audited."""
    require_perm(actor, Permission.MANAGE_USERS)
    reject_unknown_fields(values, USER_FIELDS)
    before = snapshot(user, USER_FIELDS)
    merged = {name: getattr(user, name) for name in USER_FIELDS} | values
    errors = _user_errors(values=merged, actor=actor, instance=user)
    if actor.pk == user.pk and (merged["role"] != user.role or not merged["is_active"]):
        errors["role"] = _("You cannot change your own role or deactivate yourself.")
    _refuse(errors, password or None, user)
    for name, value in values.items():
        setattr(user, name, value)
    if password:
        user.set_password(password)
    user.save()
    user.__dict__.pop("scope", None)
    changes: dict[str, Any] = diff(before, snapshot(user, USER_FIELDS))
    if password:
        changes["password"] = ["***", "***"]
    if changes:
        _audit(actor, AuditAction.UPDATE, user, changes)
    if password or not user.is_active:
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    return user


def _audit(actor: Any, action: str, user: User, changes: Mapping[str, Any] | None = None) -> None:
    """The audit row of a change to a user, filed under the user's division."""
    audit_record(
        actor=actor, action=action, obj=user, division_code=_division_code(user), changes=changes
    )


def _division_code(user: User) -> str:
    if user.division_id:
        return user.division.code  # type: ignore[union-attr]
    if user.organisation_id:
        return user.organisation.division.code  # type: ignore[union-attr]
    return ""


def login_recorded(*, user: User | None, action: str, username: str = "") -> None:
    """Audit a login, logout, failed login or lockout."""
    audit_record(
        actor=user,
        action=action,
        obj=user,
        username=username,
        division_code=_division_code(user) if user is not None else "",
    )


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_token_issue(*, user: User, otp: str | None = None) -> str:
    """Issue an API token to an authenticated user; returns the key, shown once.

    A user whose logins need a second factor must send a valid TOTP code with the request."""
    if user_needs_otp(user):
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        if not devices:
            raise ValidationError(
                {"otp": _("Your role requires two-factor authentication: enrol on the web first.")}
            )
        if not otp or not any(device.verify_token(otp) for device in devices):
            _audit(user, AuditAction.OTP_FAILED, user)
            raise ValidationError({"otp": _("Give the current code from your authenticator app.")})
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(
            user=user,
            key_hash=_hash_token(key),
            expires_at=timezone.now() + timedelta(days=API_TOKEN_DAYS),
        )
        _audit(user, AuditAction.TOKEN_ISSUED, user)
    return key


def api_token_authenticate(key: str) -> User | None:
    """The active user a token belongs to, or None; marks the token as used."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(key), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device for enrolment (replacing any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="default", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> bool:
    if device.user_id != user.pk or not device.verify_token(token):
        _audit(user, AuditAction.OTP_FAILED, user)
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _audit(user, AuditAction.OTP_ENROLLED, user)
    return True


def otp_failed_recorded(*, user: User) -> None:
    _audit(user, AuditAction.OTP_FAILED, user)


@transaction.atomic
def user_otp_reset(*, actor: Actor, user: User) -> int:
    """Remove a user's authenticators (a lost phone); they enrol again at their next login."""
    require_perm(actor, Permission.MANAGE_USERS)
    removed, _details = TOTPDevice.objects.filter(user=user).delete()
    _audit(actor, AuditAction.OTP_RESET, user, {"devices_removed": removed})
    return removed


@transaction.atomic
def user_unlock(*, actor: Actor, user: User) -> int:
    """Lift a failed-login lockout on the user's name (from every address)."""
    require_perm(actor, Permission.MANAGE_USERS)
    removed = axes_reset(username=user.get_username())
    _audit(actor, AuditAction.UNLOCKED, user, {"attempts_cleared": removed})
    return removed


def user_is_locked_out(user: User) -> bool:
    return AccessAttempt.objects.filter(
        username=user.get_username(), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).exists()


def password_changed_recorded(*, user: User) -> None:
    """Record a user's change of their own password and revoke their API tokens."""
    with transaction.atomic():
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        _audit(user, AuditAction.PASSWORD_CHANGED, user)
