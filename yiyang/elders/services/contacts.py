"""Emergency contacts of an elder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.permissions import Actor
from yiyang.elders.choices import Relation
from yiyang.elders.models import Elder, ElderContact
from yiyang.elders.sensitive import contact_phones, masked_phones, seal
from yiyang.elders.services.common import _history, _refresh_lookups, _require_manage
from yiyang.elders.services.records import _normalise_values, _text

CONTACT_FIELDS = ("name", "relation", "phones", "is_first_to_call")


class ContactValues(TypedDict, total=False):
    """What :func:`contact_add` and :func:`contact_update` accept (``CONTACT_FIELDS``)."""

    name: str
    relation: str
    phones: list[str]
    is_first_to_call: bool


def _contact_errors(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    name = _text(values.get("name"))
    if not name:
        errors["name"] = _("Give the contact's name.")
    elif len(name) > 50:
        errors["name"] = _("At most %(n)d characters.") % {"n": 50}
    relation = _text(values.get("relation"))
    if relation not in Relation.values:
        errors["relation"] = _("Choose how the contact is related to the elder.")
    cleaned, phone_errors = _normalise_values({"phones": values.get("phones") or []})
    errors.update(phone_errors)
    if not phone_errors and not cleaned["phones"]:
        errors["phones"] = _("Give at least one phone number for the contact.")
    out = {"name": name, "relation": relation, "phones": cleaned.get("phones", [])}
    out["is_first_to_call"] = bool(values.get("is_first_to_call"))
    return out, errors


def _contact_snapshot(contact: ElderContact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "relation": contact.relation,
        "phones": contact.phones_masked,
        "first": contact.is_first_to_call,
    }


def _contact_write(elder: Elder, contact: ElderContact, values: dict[str, Any]) -> None:
    contact.name = values["name"]
    contact.relation = values["relation"]
    contact.phones_ciphertext = seal(values["phones"])
    contact.phones_masked = masked_phones(values["phones"])
    others = elder.contacts.filter(is_active=True).exclude(pk=contact.pk)
    if values["is_first_to_call"]:
        others.filter(is_first_to_call=True).update(is_first_to_call=False)
    elif not others.filter(is_first_to_call=True).exists():
        values["is_first_to_call"] = True  # someone must be first to call
    contact.is_first_to_call = values["is_first_to_call"]
    if contact.pk is None:
        contact.position = others.count() + 1
    contact.save()


@transaction.atomic
def contact_add(*, actor: Actor, elder: Elder, **values: Unpack[ContactValues]) -> ElderContact:
    """Add an emergency contact; the first one (or one marked so) is first to call."""
    _require_manage(actor, elder)
    reject_unknown_fields(values, CONTACT_FIELDS)
    cleaned, errors = _contact_errors(values)
    if errors:
        raise ValidationError(errors)
    contact = ElderContact(elder=elder)
    _contact_write(elder, contact, cleaned)
    _refresh_lookups(elder)
    _history(
        actor, elder, AuditAction.UPDATE, {"contact_added": [None, _contact_snapshot(contact)]}
    )
    return contact


@transaction.atomic
def contact_update(
    *, actor: Actor, contact: ElderContact, **values: Unpack[ContactValues]
) -> ElderContact:
    elder = contact.elder
    _require_manage(actor, elder)
    reject_unknown_fields(values, CONTACT_FIELDS)
    current = {
        "name": contact.name,
        "relation": contact.relation,
        "phones": contact_phones(contact),
        "is_first_to_call": contact.is_first_to_call,
    }
    cleaned, errors = _contact_errors(current | values)
    if errors:
        raise ValidationError(errors)
    before = _contact_snapshot(contact)
    _contact_write(elder, contact, cleaned)
    _refresh_lookups(elder)
    after = _contact_snapshot(contact)
    if before != after:
        _history(actor, elder, AuditAction.UPDATE, {"contact": [before, after]})
    return contact


@transaction.atomic
def contact_remove(*, actor: Actor, contact: ElderContact) -> None:
    """Retire a contact (kept, inactive); the next one becomes first to call."""
    elder = contact.elder
    _require_manage(actor, elder)
    was_first = contact.is_first_to_call
    contact.is_active = False
    contact.is_first_to_call = False
    contact.save(update_fields=["is_active", "is_first_to_call", "updated_at"])
    if was_first:
        nxt = elder.contacts.filter(is_active=True).order_by("position", "id").first()
        if nxt is not None:
            nxt.is_first_to_call = True
            nxt.save(update_fields=["is_first_to_call", "updated_at"])
    _refresh_lookups(elder)
    _history(
        actor, elder, AuditAction.UPDATE, {"contact_removed": [_contact_snapshot(contact), None]}
    )
