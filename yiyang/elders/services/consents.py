"""Consents and the links of family members' logins to elders."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.elders.choices import ConsentGiver, ConsentPurpose, Relation
from yiyang.elders.models import Consent, Elder, FamilyMember
from yiyang.elders.services.common import _history, _require_manage
from yiyang.elders.services.records import _text


@transaction.atomic
def consent_record(
    *,
    actor: Actor,
    elder: Elder,
    purpose: str,
    given_by: str,
    given_on: datetime.date,
    recipient: str = "",
    guardian_name: str = "",
    evidence: str = "",
) -> Consent:
    """Record what the elder (or guardian) agreed to share, with whom, when."""
    _require_manage(actor, elder)
    errors: dict[str, str] = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Choose what is consented to.")
    if given_by not in ConsentGiver.values:
        errors["given_by"] = _("Say who gave the consent.")
    if given_by == ConsentGiver.GUARDIAN and not _text(guardian_name):
        errors["guardian_name"] = _("Give the guardian's name.")
    if given_on is None:
        errors["given_on"] = _("Give the date of the consent.")
    elif given_on > timezone.localdate():
        errors["given_on"] = _("The date lies in the future.")
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(
        elder=elder,
        purpose=purpose,
        given_by=given_by,
        given_on=given_on,
        recipient=_text(recipient)[:120],
        guardian_name=_text(guardian_name)[:50],
        evidence=_text(evidence)[:200],
        recorded_by=actor_user(actor),
        recorded_by_username=str(getattr(actor, "username", "")),
    )
    _history(
        actor,
        elder,
        AuditAction.UPDATE,
        {"consent_given": [None, f"{purpose} {recipient} {given_on.isoformat()}".strip()]},
    )
    return consent


@transaction.atomic
def family_member_link(
    *, actor: Actor, elder: Elder, user: Any, relation: str, active: bool = True
) -> FamilyMember:
    """Link (or unlink) a family member's login to an elder. What the login may see of the
    elder's care also needs the elder's family-view consent."""
    require_perm(actor, Permission.LINK_FAMILY)
    _require_manage(actor, elder)
    errors: dict[str, str] = {}
    if getattr(user, "role", None) != "family":
        errors["user"] = _("Only a family-member login can be linked to an elder.")
    if relation not in Relation.values:
        errors["relation"] = _("Choose the relation from the list.")
    if errors:
        raise ValidationError(errors)
    link, created = FamilyMember.objects.get_or_create(
        user=user,
        elder=elder,
        defaults={"relation": relation, "is_active": active, "linked_by": actor_user(actor)},
    )
    before = None if created else [link.relation, link.is_active]
    if not created:
        link.relation, link.is_active = relation, active
        link.save(update_fields=["relation", "is_active", "updated_at"])
    _history(
        actor,
        elder,
        AuditAction.UPDATE,
        {"family_member": [before, [str(user.username), relation, active]]},
    )
    return link


@transaction.atomic
def consent_withdraw(
    *, actor: Actor, consent: Consent, on: datetime.date | None = None, reason: str = ""
) -> Consent:
    _require_manage(actor, consent.elder)
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    on = on or timezone.localdate()
    if on < consent.given_on or on > timezone.localdate():
        raise ValidationError({"on": _("Withdrawal lies between the consent and today.")})
    consent.withdrawn_on = on
    consent.withdrawn_by = actor_user(actor)
    consent.withdrawal_reason = _text(reason)[:200]
    consent.save()
    _history(
        actor,
        consent.elder,
        AuditAction.UPDATE,
        {"consent_withdrawn": [consent.purpose, on.isoformat()]},
    )
    return consent
