"""An elder's alert settings: the thresholds that apply to the elder, their overrides,
and the contacts' e-mail addresses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.alerts import rules
from yiyang.alerts.channels import mask_email
from yiyang.alerts.models import ContactEmail, ElderAlertSettings
from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.models import Elder, ElderContact


class ThresholdValues(TypedDict, total=False):
    """What :func:`elder_alert_settings_set` accepts (``rules.OVERRIDABLE``): a whole number
    (or its text) sets a threshold, None clears it."""

    heart_rate_low: int | str | None
    heart_rate_high: int | str | None
    spo2_low: int | str | None
    sustained_seconds: int | str | None
    no_motion_hours: int | str | None
    day_starts_hour: int | str | None
    day_ends_hour: int | str | None
    door_open_minutes: int | str | None
    safe_zone_metres: int | str | None


def limits_by_elder(elders: dict[int, Elder]) -> dict[int, dict[str, int]]:
    overrides = {s.elder_id: s for s in ElderAlertSettings.objects.filter(elder_id__in=elders)}
    return {
        pk: rules.thresholds(elder.division_code, overrides.get(pk)) for pk, elder in elders.items()
    }


def _threshold_value(name: str, value: Any) -> int | str | None:
    """The override as a whole number, None to clear it, or the problem with it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return _("Give a whole number.")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            return _("Give a whole number.")
        value = int(text)
    if not isinstance(value, int):
        return _("Give a whole number.")
    low, high = rules.THRESHOLD_RANGES[name]
    if not low <= value <= high:
        return _("Between %(low)d and %(high)d.") % {"low": low, "high": high}
    return value


@transaction.atomic
def elder_alert_settings_set(
    *, actor: Actor, elder: Elder, **values: Unpack[ThresholdValues]
) -> ElderAlertSettings:
    """Set (a whole number) or clear (None) some of an elder's own thresholds; the others stay
    as they are. Each value must lie in its plausible range and the thresholds must make sense
    together with the city defaults that still apply (heart-rate lower limit below the upper,
    the day starting before it ends). Audited with each value before and after."""
    require_perm(actor, Permission.SET_ALERT_THRESHOLDS)
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise PermissionDenied(_("This elder lies outside your jurisdiction."))
    reject_unknown_fields(values, rules.OVERRIDABLE)
    errors: dict[str, str] = {}
    cleaned: dict[str, int | None] = {}
    for name, value in values.items():
        result = _threshold_value(name, value)
        if isinstance(result, str):
            errors[name] = result
        else:
            cleaned[name] = result
    if errors:
        raise ValidationError(errors)
    row, _created = ElderAlertSettings.objects.get_or_create(elder=elder)
    row = ElderAlertSettings.objects.select_for_update().get(pk=row.pk)
    before = {name: getattr(row, name) for name in rules.OVERRIDABLE}
    after = before | cleaned
    effective = rules.thresholds(elder.division_code, SimpleNamespace(**after))
    problems = rules.threshold_problems(effective, given=set(cleaned))
    if problems:
        raise ValidationError(problems)
    changes = {name: [before[name], after[name]] for name in cleaned if before[name] != after[name]}
    if not changes:
        return row
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=row,
        object_repr=elder.name,
        division_code=elder.division_code,
        changes=changes,
    )
    return row


@transaction.atomic
def contact_email_set(*, actor: Actor, contact: ElderContact, email: str) -> ContactEmail | None:
    """Give a family contact an e-mail address for notifications (empty: remove it). The
    address is encrypted at rest and shown masked; the change is in the elder's history."""
    elder = contact.elder
    require_perm(actor, Permission.MANAGE_ELDERS)
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise PermissionDenied(_("This elder lies outside your jurisdiction."))
    address = (email or "").strip()
    current = ContactEmail.objects.select_for_update().filter(contact=contact).first()
    before = current.email_masked if current is not None else None
    if not address:
        if current is None:
            return None
        current.delete()
        row = None
    else:
        try:
            validate_email(address)
            if len(address) > 254:
                raise ValidationError("too long")
        except ValidationError:
            raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
        row = current or ContactEmail(contact=contact)
        row.email_ciphertext = crypto.encrypt(address)
        row.email_masked = mask_email(address)[:120]
        row.save()
    after = row.email_masked if row is not None else None
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=elder,
        division_code=elder.division_code,
        changes={"contact_email": [before, after], "contact": contact.name},
    )
    return row
