"""Validate and write one chunk of parsed rows: new elders, changed elders, their contacts,
lookups and history, in the current transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record_many
from yiyang.core.bulk import bulk_insert, insert_rows
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor
from yiyang.elders.columns import HEADERS
from yiyang.elders.geocoding import Geocoder, geocoder_for
from yiyang.elders.importing.rows import Counts, Parsed, RowError, _merged, _show
from yiyang.elders.models import Elder, ElderContact, ElderLookup
from yiyang.elders.sensitive import contact_phones, id_hash, masked_phones, phone_hash, seal, unseal
from yiyang.elders.services import (
    RECORD_COLUMNS,
    Record,
    near_duplicates_find,
    record_apply,
    record_changes,
    record_of,
    validate_record,
)


@dataclass
class ChunkResult:
    counts: Counts
    errors: list[RowError]


def _contact_changes(elder: Elder, contact: dict[str, Any] | None) -> ElderContact | None:
    """The contact to write (new or changed) for this row, or None when nothing changes."""
    if contact is None or "name" not in contact:
        return None
    existing = next((c for c in elder.prefetched_contacts if c.name == contact["name"]), None)  # type: ignore[attr-defined]
    phones = contact["phone"]
    if existing is not None:
        current = contact_phones(existing)
        merged_phones = current + [p for p in phones if p not in current]
        if existing.relation == contact["relation"] and merged_phones == current:
            return None
        existing.relation = contact["relation"]
        existing.phones_ciphertext = seal(merged_phones)
        existing.phones_masked = masked_phones(merged_phones)
        return existing
    first = not any(c.is_first_to_call for c in elder.prefetched_contacts)  # type: ignore[attr-defined]
    return ElderContact(
        elder=elder,
        name=contact["name"],
        relation=contact["relation"],
        phones_ciphertext=seal(phones),
        phones_masked=masked_phones(phones),
        is_first_to_call=first,
        position=len(elder.prefetched_contacts) + 1,  # type: ignore[attr-defined]
    )


# The columns an import's bulk update writes: the registry's record columns (the very list
# its single write saves) and the import's own fingerprint.
IMPORT_COLUMNS = (*RECORD_COLUMNS, "import_digest", "updated_at")
# Plain rows (no model instances) for the contacts and lookups an import writes.
CONTACT_FIELDS = (
    "elder_id",
    "name",
    "relation",
    "phones_ciphertext",
    "phones_masked",
    "is_first_to_call",
    "position",
)
LOOKUP_FIELDS = ("elder_id", "kind", "value_hash")
PHONE_KIND = str(ElderLookup.Kind.PHONE.value)
CONTACT_PHONE_KIND = str(ElderLookup.Kind.CONTACT_PHONE.value)


@dataclass
class _Plan:
    """What a chunk writes, decided row by row before anything is written."""

    counts: Counts
    errors: list[RowError]
    new: list[tuple[Elder, Record, Parsed]] = field(default_factory=list)
    changed: list[tuple[Elder, dict[str, Any]]] = field(default_factory=list)
    contact_writes: list[ElderContact] = field(default_factory=list)
    digest_only: list[Elder] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    """What every row of a chunk is checked with."""

    actor: Actor
    names: dict[str, str]
    contacts: dict[int, list[ElderContact]]
    geocoder: Geocoder | None
    today: datetime.date


def import_chunk(
    *,
    actor: Actor,
    parsed_rows: list[Parsed],
    seen: dict[str, int],
    labels: dict[str, str] | None = None,
) -> ChunkResult:
    """Validate and upsert one chunk of parsed rows in the current transaction."""
    names = HEADERS | (labels or {})
    plan = _Plan(Counts(processed=len(parsed_rows)), [])
    candidates = _candidates(parsed_rows, seen, names, plan.errors)
    existing = {
        e.id_number_hash: e
        for e in Elder.objects.filter(
            id_number_hash__in=[digest for _parsed, digest in candidates]
        ).select_related("community__parent__parent__parent")
    }
    context = _Context(
        actor=actor,
        names=names,
        contacts=_known_contacts(list(existing.values())),
        geocoder=geocoder_for(parsed.values for parsed, _digest in candidates),
        today=timezone.localdate(),
    )
    for parsed, digest in candidates:
        _plan_row(context, plan, parsed, existing.get(digest))
    plan.counts.rejected = len({e.row for e in plan.errors})
    _write(actor, plan)
    return ChunkResult(plan.counts, plan.errors)


def _candidates(
    parsed_rows: list[Parsed], seen: dict[str, int], names: dict[str, str], errors: list[RowError]
) -> list[tuple[Parsed, str]]:
    """The rows without errors whose ID number this file did not have before, with its
    blind index; the others' errors go to ``errors``."""
    candidates: list[tuple[Parsed, str]] = []
    for parsed in parsed_rows:
        if parsed.errors:
            errors.extend(parsed.errors)
            continue
        number = parsed.values["id_number"]
        digest = id_hash(number)
        if digest in seen:
            errors.append(
                RowError(
                    parsed.row,
                    names["id_number"],
                    number[:6] + "…",
                    _("The same ID number as row %(row)d of this file.") % {"row": seen[digest]},
                )
            )
            continue
        seen[digest] = parsed.row
        candidates.append((parsed, digest))
    return candidates


def _known_contacts(elders: list[Elder]) -> dict[int, list[ElderContact]]:
    contacts: dict[int, list[ElderContact]] = {}
    for known in ElderContact.objects.filter(elder__in=elders, is_active=True).order_by(
        "position", "id"
    ):
        contacts.setdefault(known.elder_id, []).append(known)
    return contacts


def _plan_row(context: _Context, plan: _Plan, parsed: Parsed, elder: Elder | None) -> None:
    """Decide one row: rejected (with every reason), new, changed or unchanged."""
    actor = context.actor
    before = record_of(elder) if elder is not None else None
    record = _merged(before, parsed.values, context.geocoder)
    problems = validate_record(
        record, actor=actor, instance=elder, today=context.today, check_unique=False
    )
    if elder is not None and not actor.scope.covers(
        division_code=elder.division_code, organisation_id=None
    ):
        problems = {
            "id_number": _("This ID number is registered in a community outside your jurisdiction.")
        }
    if problems:
        for name, reason in problems.items():
            column = context.names.get(name, name)
            plan.errors.append(RowError(parsed.row, column, _show(parsed.values.get(name)), reason))
        return
    if elder is None:
        elder = Elder()
        record_apply(elder, record)
        elder.import_digest = parsed.digest
        elder.prefetched_contacts = []  # type: ignore[attr-defined]
        plan.new.append((elder, record, parsed))
        return
    elder.prefetched_contacts = context.contacts.get(elder.pk, [])  # type: ignore[attr-defined]
    changes = record_changes(before, record)
    contact = _contact_changes(elder, parsed.contact)
    if contact is not None:
        plan.contact_writes.append(contact)
        changes["contact"] = [None, {"name": contact.name, "phones": contact.phones_masked}]
    if not changes:
        plan.counts.unchanged += 1
        if parsed.digest and elder.import_digest != parsed.digest:
            elder.import_digest = parsed.digest
            plan.digest_only.append(elder)
        return
    record_apply(elder, record)
    elder.import_digest = parsed.digest
    plan.changed.append((elder, changes))
    plan.counts.updated += 1


def _write(actor: Actor, plan: _Plan) -> None:
    """Write what the plan decided: elders, contacts, lookups, history, then look for
    possible duplicates among the new and renamed elders."""
    contact_rows: list[tuple[Any, ...]] = []
    lookups: list[tuple[int, str, str]] = []
    if plan.new:
        bulk_insert([elder for elder, _record, _parsed in plan.new], set_pks=True)
        plan.counts.created = len(plan.new)
        for elder, record, parsed in plan.new:
            given = parsed.contact
            if given is not None and "name" in given:  # the first: none to merge with
                contact_rows.append(
                    _contact_row(
                        elder.pk,
                        given["name"],
                        given["relation"],
                        given["phone"],
                        first=True,
                        position=1,
                    )
                )
            lookups += _new_lookups(elder.pk, record.phones, given)
    changed = [elder for elder, _changes in plan.changed]
    if changed:
        now = timezone.now()
        for elder in changed:
            elder.updated_at = now
        Elder.objects.bulk_update(changed, IMPORT_COLUMNS, batch_size=500)
    contact_rows += _contacts_write(plan.contact_writes)
    insert_rows(ElderContact, CONTACT_FIELDS, contact_rows)
    insert_rows(ElderLookup, LOOKUP_FIELDS, lookups)  # new elders' only: no conflict
    if plan.digest_only:  # unchanged records learn this row's fingerprint (no history: no change)
        Elder.objects.bulk_update(plan.digest_only, ["import_digest"], batch_size=1000)
    if changed:
        _lookups_rebuild(changed)
    # The record holds a new elder's first values; its history starts with where it came from.
    _history(actor, AuditAction.CREATE, [(elder, {}) for elder, _record, _parsed in plan.new])
    _history(actor, AuditAction.UPDATE, plan.changed)
    keyed = {"name", "birth_date", "community"}  # what the duplicate key is made of
    relevant = [elder for elder, _record, _parsed in plan.new] + [
        elder for elder, changes in plan.changed if keyed & set(changes)
    ]
    plan.counts.duplicates = len(near_duplicates_find(relevant))


def _contacts_write(contacts: list[ElderContact]) -> list[tuple[Any, ...]]:
    """Update the changed contacts; the new ones come back as plain rows to insert."""
    to_update = [c for c in contacts if c.pk is not None]
    if to_update:
        ElderContact.objects.bulk_update(
            to_update, ["relation", "phones_ciphertext", "phones_masked"], batch_size=500
        )
    return [
        (
            c.elder_id,
            c.name,
            c.relation,
            c.phones_ciphertext,
            c.phones_masked,
            c.is_first_to_call,
            c.position,
        )
        for c in contacts
        if c.pk is None
    ]


def _history(actor: Actor, action: str, entries: list[tuple[Elder, dict[str, Any]]]) -> None:
    """The elders' history events, through the audit log's own batch writer."""
    if not entries:
        return
    audit_record_many(
        actor=actor,
        action=str(action),
        objects=[elder for elder, _changes in entries],
        division_codes=[elder.division_code for elder, _changes in entries],
        changes=[changes | {"source": "import"} for _elder, changes in entries],
    )


def _contact_row(
    elder_id: int, name: str, relation: str, phones: list[str], *, first: bool, position: int
) -> tuple[Any, ...]:
    return (elder_id, name, str(relation), seal(phones), masked_phones(phones), first, position)


def _new_lookups(
    elder_id: int, phones: list[str], contact: dict[str, Any] | None
) -> list[tuple[int, str, str]]:
    """Index entries of a new elder, from the values in hand (nothing to decrypt); each
    once, so that they can be written without a conflict check."""
    rows = {(elder_id, PHONE_KIND, phone_hash(p)): None for p in phones}
    if contact is not None and "name" in contact:
        rows |= {
            (elder_id, CONTACT_PHONE_KIND, phone_hash(p)): None
            for p in contact["phone"]
            if p not in phones
        }
    return list(rows)


def _lookups_rebuild(elders: list[Elder]) -> None:
    ids = [e.pk for e in elders]
    ElderLookup.objects.filter(elder_id__in=ids).delete()
    rows: list[tuple[int, str, str]] = []
    for elder in elders:
        for phone in unseal(elder.phones_ciphertext, []):
            rows.append((elder.pk, PHONE_KIND, phone_hash(phone)))
    all_contacts = ElderContact.objects.filter(elder_id__in=ids, is_active=True)
    for contact in all_contacts:
        for phone in contact_phones(contact):
            rows.append((contact.elder_id, CONTACT_PHONE_KIND, phone_hash(phone)))
    insert_rows(ElderLookup, LOOKUP_FIELDS, rows, ignore_conflicts=True)
