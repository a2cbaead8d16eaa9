"""Spreadsheet imports of elders: one job per file, upsert by ID number, per-row errors.

A row is accepted whole or rejected whole (with every reason: row, column, value). Rows are
written in chunks, each chunk in one transaction together with the job's progress, so a
crash loses at most the chunk in flight and a re-run resumes after the last committed row.
Re-importing a file changes nothing that did not change: an empty cell never erases a value
and unchanged records are not written at all. A dry run takes the same path and rolls each
chunk back, so its counts are exactly what a real run would do.
"""

from __future__ import annotations

import datetime
import gc
import json
import logging
import multiprocessing
import os
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.bulk import bulk_insert, insert_rows
from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.elders.choices import (
    ALIASES,
    ETHNICITY_CHOICES,
    ChronicCondition,
    EconomicStatus,
    ElderStatus,
    ImportStatus,
    InsuranceType,
    LivingArrangement,
    MaritalStatus,
    Relation,
    Sex,
)
from yiyang.elders.columns import COLUMNS, HEADERS, REQUIRED_COLUMNS
from yiyang.elders.geocoding import Geocoder, geocoder_for, record_locate
from yiyang.elders.import_report import report_limit, report_xlsx, truncation_note
from yiyang.elders.models import Elder, ElderContact, ElderLookup, ImportJob
from yiyang.elders.parsing import (
    CellError,
    clean_text,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_phones,
    split_multi,
)
from yiyang.elders.sensitive import (
    Ahead,
    computed_ahead,
    contact_phones,
    id_hash,
    masked_phones,
    phone_hash,
    seal,
    unseal,
)
from yiyang.elders.services import (
    ELDER_OBJECT_TYPE,
    Record,
    _apply,
    near_duplicates_find,
    record_changes,
    record_of,
    record_secrets,
    validate_record,
)
from yiyang.elders.tabular import RawRow, UnreadableFile, open_table

CHUNK_ROWS = 2000  # rows per transaction: fewer commits; the write lock held ~1.5 s
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the Chinese header (or "" for the whole row)
    value: str
    reason: str


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0
    processed: int = 0


@dataclass
class Parsed:
    row: int
    values: dict[str, Any]
    contact: dict[str, Any] | None
    errors: list[RowError] = field(default_factory=list)
    digest: str = ""


class CommunityResolver:
    """Finds a community by its 12-digit code or its name, within the actor's scope."""

    def __init__(self, actor: Actor) -> None:
        communities = actor.scope.apply(
            Division.objects.filter(level=DivisionLevel.COMMUNITY).select_related(
                "parent__parent__parent"
            ),
            division_code_field="code",
        )
        self.by_code: dict[str, Division] = {}
        self.by_name: dict[str, list[Division]] = {}
        for community in communities:
            self.by_code[community.code] = community
            self.by_name.setdefault(community.name, []).append(community)
            if community.parent is not None:
                joined = f"{community.parent.name}{community.name}"
                self.by_name.setdefault(joined, []).append(community)
                self.by_name.setdefault(f"{community.parent.name}/{community.name}", []).append(
                    community
                )

    def __call__(self, value: object) -> Division | None:
        text = clean_text(value, max_length=120)
        if text is None:
            return None
        if text.isdigit():
            found = self.by_code.get(text)
            if found is None:
                raise CellError(
                    _("No community with code %(code)s in your jurisdiction.") % {"code": text}
                )
            return found
        matches = self.by_name.get(text.replace(" ", ""), [])
        if not matches:
            raise CellError(_("No community named %(name)s in your jurisdiction.") % {"name": text})
        if len(matches) > 1:
            raise CellError(
                _(
                    "%(count)d communities are named %(name)s: give the street too "
                    "(street/community) or the 12-digit code."
                )
                % {"count": len(matches), "name": text}
            )
        return matches[0]


# Choice lists evaluated once: an enum's ``choices`` is rebuilt on every access.
CONDITION_CHOICES = ChronicCondition.choices
RELATION_CHOICES = Relation.choices
CHOICE_COLUMNS: dict[str, Any] = {
    "sex": Sex.choices,
    "ethnicity": ETHNICITY_CHOICES,
    "living_arrangement": LivingArrangement.choices,
    "marital_status": MaritalStatus.choices,
    "economic_status": EconomicStatus.choices,
    "insurance_type": InsuranceType.choices,
    "status": ElderStatus.choices,
}
TEXT_COLUMNS = {
    "name": 50,
    "address": 200,
    "disability_certificate": 40,
    "insurance_number": 40,
    "family_doctor": 120,
    "contact_name": 50,
}


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)[:200]


def _id_number(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) or (isinstance(value, int) and len(str(value)) < 15):
        raise CellError(
            _("The ID number was stored as a number and lost digits: format the column as text.")
        )
    try:
        return parse_citizen_id(str(value)).number
    except IdNumberError as exc:
        raise CellError(str(exc)) from None


def parse_row(
    raw: RawRow, *, communities: CommunityResolver, labels: dict[str, str] | None = None
) -> Parsed:
    """One spreadsheet row to record values (only the non-empty cells) and a contact."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    names = HEADERS | (labels or {})
    for key in sorted(raw.formulas):
        errors.append(
            RowError(
                raw.number, names[key], "", _("The cell holds a formula; paste its value instead.")
            )
        )
    contact: dict[str, Any] = {}
    for key, value in raw.values.items():
        if value is None or key in raw.formulas:
            continue
        try:
            if key == "id_number":
                parsed: Any = _id_number(value)
            elif key == "community":
                parsed = communities(value)
            elif key in ("birth_date", "deceased_on"):
                parsed = parse_date(value)
            elif key == "phones" or key == "contact_phone":
                parsed = parse_phones(value)
            elif key in ("lat", "lng"):
                limit = Decimal(90) if key == "lat" else Decimal(180)
                parsed = parse_decimal(value, minimum=-limit, maximum=limit, places=6)
            elif key == "chronic_conditions":
                parsed = sorted(
                    {
                        str(
                            parse_choice(
                                part,
                                choices=CONDITION_CHOICES,
                                aliases=ALIASES["chronic_conditions"],
                            )
                        )
                        for part in split_multi(value)
                    }
                )
            elif key == "contact_relation":
                parsed = parse_choice(
                    value, choices=RELATION_CHOICES, aliases=ALIASES["contact_relation"]
                )
            elif key in CHOICE_COLUMNS:
                parsed = parse_choice(
                    value, choices=CHOICE_COLUMNS[key], aliases=ALIASES.get(key, {})
                )
            elif key in TEXT_COLUMNS:
                parsed = clean_text(value, max_length=TEXT_COLUMNS[key])
            else:
                continue
        except CellError as exc:
            errors.append(RowError(raw.number, names[key], _show(value), str(exc)))
            continue
        if parsed in (None, "", []):
            continue
        if key.startswith("contact_"):
            contact[key.removeprefix("contact_")] = parsed
        else:
            values[key] = parsed
    for key in REQUIRED_COLUMNS:
        if key not in values and not any(e.column == names[key] for e in errors):
            errors.append(RowError(raw.number, names[key], "", _("This cell is required.")))
    if contact:
        if "name" not in contact:
            errors.append(
                RowError(
                    raw.number,
                    names["contact_name"],
                    "",
                    _("A contact's phone or relation is given without the contact's name."),
                )
            )
        if "relation" not in contact:
            contact["relation"] = Relation.OTHER
        contact.setdefault("phone", [])
    return Parsed(raw.number, values, contact or None, errors)


def _merged(existing: Record | None, values: dict[str, Any], at: Geocoder | None = None) -> Record:
    base = dict(existing.__dict__) if existing is not None else {}
    merged = Record(**(base | values))
    record_locate(merged, before=existing, geocoder=at)
    if existing is not None and merged.status != existing.status:
        merged.status_changed_on = timezone.localdate()
    if merged.status != ElderStatus.DECEASED and "deceased_on" not in values:
        merged.deceased_on = None
    return merged


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


def import_chunk(
    *,
    actor: Actor,
    parsed_rows: list[Parsed],
    seen: dict[str, int],
    labels: dict[str, str] | None = None,
) -> ChunkResult:
    """Validate and upsert one chunk of parsed rows in the current transaction."""
    counts = Counts(processed=len(parsed_rows))
    names = HEADERS | (labels or {})
    errors: list[RowError] = []
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
    existing = {
        e.id_number_hash: e
        for e in Elder.objects.filter(id_number_hash__in=[d for _, d in candidates]).select_related(
            "community__parent__parent__parent"
        )
    }
    geocoder = geocoder_for(p.values for p, _ in candidates)
    contacts_by_elder: dict[int, list[ElderContact]] = {}
    for known in ElderContact.objects.filter(
        elder__in=list(existing.values()), is_active=True
    ).order_by("position", "id"):
        contacts_by_elder.setdefault(known.elder_id, []).append(known)
    new: list[tuple[Elder, Record, Parsed]] = []
    changed: list[tuple[Elder, dict[str, Any]]] = []
    contact_writes: list[ElderContact] = []
    digest_only: list[Elder] = []
    today = timezone.localdate()
    for parsed, digest in candidates:
        elder = existing.get(digest)
        before = record_of(elder) if elder is not None else None
        record = _merged(before, parsed.values, geocoder)
        problems = validate_record(
            record, actor=actor, instance=elder, today=today, check_unique=False
        )
        if elder is not None and not actor.scope.covers(
            division_code=elder.division_code, organisation_id=None
        ):
            problems = {
                "id_number": _(
                    "This ID number is registered in a community outside your jurisdiction."
                )
            }
        if problems:
            for name, reason in problems.items():
                column = names.get(name, name)
                errors.append(RowError(parsed.row, column, _show(parsed.values.get(name)), reason))
            continue
        if elder is None:
            elder = Elder()
            _apply(elder, record)
            elder.import_digest = parsed.digest
            elder.prefetched_contacts = []  # type: ignore[attr-defined]
            new.append((elder, record, parsed))
            continue
        elder.prefetched_contacts = contacts_by_elder.get(elder.pk, [])  # type: ignore[attr-defined]
        changes = record_changes(before, record)
        contact = _contact_changes(elder, parsed.contact)
        if contact is not None:
            contact_writes.append(contact)
            changes["contact"] = [None, {"name": contact.name, "phones": contact.phones_masked}]
        if not changes:
            counts.unchanged += 1
            if parsed.digest and elder.import_digest != parsed.digest:
                elder.import_digest = parsed.digest
                digest_only.append(elder)
            continue
        _apply(elder, record)
        elder.import_digest = parsed.digest
        changed.append((elder, changes))
        counts.updated += 1
    counts.rejected = len({e.row for e in errors})
    author = _author(actor)
    history: list[tuple[Any, ...]] = []
    contact_rows: list[tuple[Any, ...]] = []
    lookups: list[tuple[int, str, str]] = []
    if new:
        bulk_insert([e for e, _, _ in new], set_pks=True)
        counts.created = len(new)
        for elder, record, parsed in new:
            # The record holds its first values; history starts with where it came from.
            history.append(_event(author, elder, AuditAction.CREATE, {}))
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
    if changed:
        fields = [
            "name",
            "name_initials",
            "id_number_ciphertext",
            "id_number_hash",
            "id_number_masked",
            "sex",
            "birth_date",
            "ethnicity",
            "phones_ciphertext",
            "phones_masked",
            "community",
            "division_code",
            "address",
            "lat",
            "lng",
            "living_arrangement",
            "marital_status",
            "economic_status",
            "insurance_type",
            "insurance_number_ciphertext",
            "health_ciphertext",
            "status",
            "status_changed_on",
            "deceased_on",
            "updated_at",
            "duplicate_key",
            "import_digest",
            "location_source",
        ]
        now = timezone.now()
        for elder, changes in changed:
            elder.updated_at = now
            history.append(_event(author, elder, AuditAction.UPDATE, changes))
        Elder.objects.bulk_update([e for e, _ in changed], fields, batch_size=500)
    if contact_writes:
        to_update = [c for c in contact_writes if c.pk is not None]
        contact_rows += [
            (
                c.elder_id,
                c.name,
                c.relation,
                c.phones_ciphertext,
                c.phones_masked,
                c.is_first_to_call,
                c.position,
            )
            for c in contact_writes
            if c.pk is None
        ]
        if to_update:
            ElderContact.objects.bulk_update(
                to_update, ["relation", "phones_ciphertext", "phones_masked"], batch_size=500
            )
    insert_rows(ElderContact, CONTACT_FIELDS, contact_rows)
    insert_rows(ElderLookup, LOOKUP_FIELDS, lookups)  # new elders' only: no conflict
    if digest_only:  # unchanged records learn this row's fingerprint (no history: no change)
        Elder.objects.bulk_update(digest_only, ["import_digest"], batch_size=1000)
    if changed:
        _lookups_rebuild([e for e, _ in changed])
    insert_rows(AuditEvent, EVENT_FIELDS, history)
    relevant = [e for e, _, _ in new] + [
        e for e, changes in changed if {"name", "birth_date", "community"} & set(changes)
    ]
    counts.duplicates = len(near_duplicates_find(relevant))
    return ChunkResult(counts, errors)


# Plain rows (no model instances) for what an import writes besides the elders.
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
EVENT_FIELDS = (
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "division_code",
    "changes",
    "ip_address",
    "user_agent",
)
PHONE_KIND = str(ElderLookup.Kind.PHONE.value)
CONTACT_PHONE_KIND = str(ElderLookup.Kind.CONTACT_PHONE.value)


@dataclass(frozen=True)
class _Author:
    """Who writes an import's history events, and from where (the same for every event)."""

    actor_id: int | None
    username: str
    ip_address: str | None
    user_agent: str


def _author(actor: Actor) -> _Author:
    from yiyang.core.context import current_origin

    origin = current_origin()
    user = actor_user(actor)
    return _Author(
        actor_id=user.pk if user is not None else None,
        username=str(getattr(actor, "username", ""))[:150],
        ip_address=origin.ip_address,
        user_agent=(origin.user_agent or "")[:255],
    )


def _event(author: _Author, elder: Elder, action: str, changes: dict[str, Any]) -> tuple[Any, ...]:
    return (
        author.actor_id,
        author.username,
        str(action),
        ELDER_OBJECT_TYPE,
        str(elder.external_id),
        str(elder)[:255],
        elder.division_code,
        changes | {"source": "import"},
        author.ip_address,
        author.user_agent,
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


# --------------------------------------------------------------------------------------------
# Jobs


def import_job_create(
    *, actor: Actor, filename: str, content: bytes, dry_run: bool = False
) -> ImportJob:
    """Store an uploaded file (encrypted at rest) as a pending import job."""
    require_perm(actor, Permission.IMPORT_ELDERS)
    name = Path(filename or "upload").name[:200]
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)d MB.")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            }
        )
    if Path(name).suffix.lower() not in (".xlsx", ".xlsm", ".csv", ".txt"):
        raise ValidationError({"file": _("Upload an .xlsx or .csv file.")})
    job = ImportJob(
        created_by=actor_user(actor),
        created_by_username=str(getattr(actor, "username", ""))[:150],
        filename=name,
        dry_run=dry_run,
    )
    job.file.save(f"{job.external_id}.bin", ContentFile(crypto.encrypt_bytes(content)), save=False)
    job.save()
    return job


def import_job_for_resume(external_id: str) -> ImportJob | None:
    """An unfinished job whose uploaded file is still there (for the command line)."""
    try:
        job = ImportJob.objects.select_related("created_by").get(external_id=external_id)
    except (ImportJob.DoesNotExist, ValueError, ValidationError):
        return None
    if job.status not in (ImportStatus.PENDING, ImportStatus.RUNNING) or not job.file:
        return None
    return job


def _job_errors(job: ImportJob) -> list[RowError]:
    return [RowError(*row) for row in unseal(job.errors_ciphertext, [])]


def import_job_errors(job: ImportJob) -> list[RowError]:
    return _job_errors(job)


Progress = Callable[[ImportJob], None]


def import_job_run(
    *,
    job: ImportJob,
    actor: Actor,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ImportJob:
    """Run (or resume) an import job to the end. Returns the finished job. ``workers``:
    worker processes (see :func:`import_rows`); by default some for a large file only."""
    require_perm(actor, Permission.IMPORT_ELDERS)
    claimed = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportStatus.PENDING, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, heartbeat_at=timezone.now())
    job.refresh_from_db()
    if not claimed:
        return job
    if job.started_at is None:
        job.started_at = timezone.now()
        job.save(update_fields=["started_at"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / job.filename
        try:
            with job.file.open("rb") as handle:
                path.write_bytes(crypto.decrypt_bytes(handle.read()))
            table = open_table(path, filename=job.filename, columns=COLUMNS)
        except UnreadableFile as exc:
            return _finish(job, actor, ImportStatus.FAILED, message=str(exc))
        except (OSError, crypto.DecryptionError) as exc:
            return _finish(job, actor, ImportStatus.FAILED, message=str(exc))
        with table:
            warnings = list(job.warnings)
            if table.unknown_headers:
                note = _("Columns ignored (not recognised): %(names)s") % {
                    "names": "、".join(table.unknown_headers)
                }
                if note not in warnings:
                    warnings.append(note)
            job.total_rows = getattr(table, "estimated_rows", None)
            job.warnings = warnings
            job.save(update_fields=["total_rows", "warnings"])
            errors = _job_errors(job)
            limit = report_limit()
            unlisted = 0

            def committed(counts: Counts, last_row: int, chunk_errors: list[RowError]) -> None:
                # Only the first `limit` problems are kept (and sealed at each chunk), so the
                # worker's memory stays bounded; the report then says how many it left out.
                nonlocal unlisted
                room = max(limit - len(errors), 0)
                errors.extend(chunk_errors[:room])
                unlisted += len(chunk_errors) - min(room, len(chunk_errors))
                _advance(job, counts, last_row, errors)
                if progress is not None:
                    progress(job)

            if workers is None:
                workers = pipeline_workers((job.total_rows or 0) - job.resume_after_row)
            import_rows(
                actor=actor,
                rows=table.rows,
                dry_run=job.dry_run,
                resume_after=job.resume_after_row,
                on_chunk=committed,
                labels={key: table.headers[index] for key, index in table.columns.items()},
                workers=workers,
            )
            job.warnings = warnings + [w for w in table.warnings if w not in warnings]
            if unlisted:
                job.warnings.append(truncation_note(limit, unlisted))
    return _finish(job, actor, ImportStatus.DONE)


def import_job_mark_crashed(*, job_id: int) -> None:
    """A job whose process died (out of memory, killed) fails with a message saying so."""
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        message=_(
            "The import stopped unexpectedly (out of memory or killed). Upload the file "
            "again; rows already imported are recognised and left unchanged."
        ),
    )


ChunkHook = Callable[[Counts, int, list[RowError]], None]


def import_rows(
    *,
    actor: Actor,
    rows: Iterable[RawRow],
    dry_run: bool = False,
    resume_after: int = 0,
    on_chunk: ChunkHook | None = None,
    labels: dict[str, str] | None = None,
    workers: int = 0,
) -> Counts:
    """Import rows chunk by chunk. ``on_chunk`` runs inside each chunk's transaction (after
    a dry run's rollback), so progress kept there commits with the rows it counts.

    With ``workers`` > 0, that many worker processes fingerprint, parse and encrypt the
    next chunks while this process validates and writes the current one (see
    :class:`_Pipeline`); the results are the same as without them."""
    require_perm(actor, Permission.IMPORT_ELDERS)
    communities = CommunityResolver(actor)
    seen: dict[str, int] = {}
    total = Counts()
    with (
        _few_collections(),
        _Pipeline(
            _chunks(rows, CHUNK_ROWS),
            actor=actor,
            communities=communities,
            labels=labels,
            resume_after=resume_after,
            workers=workers,
        ) as pipeline,
    ):
        _bulk_cache()
        for work in pipeline:
            if work.resumed:
                # Committed by an earlier run: only remember its ID numbers (duplicates).
                for raw, key in zip(work.rows, work.keys, strict=True):
                    if key is not None:
                        seen.setdefault(key, raw.number)
                continue
            unchanged, rest = _split_unchanged(actor, work, seen)
            parsed = []
            for raw, digest in rest:
                row = work.parsed.get(raw.number)
                if row is None:  # not parsed ahead (one process, or a worker failed)
                    row = parse_row(raw, communities=communities, labels=labels)
                row.digest = digest
                parsed.append(row)
            with computed_ahead(work.ahead), transaction.atomic():
                result = import_chunk(actor=actor, parsed_rows=parsed, seen=seen, labels=labels)
                result.counts.unchanged += unchanged
                result.counts.processed += unchanged
                if dry_run:
                    transaction.set_rollback(True)  # counted, never written
                elif on_chunk is not None:
                    on_chunk(result.counts, work.last_row, result.errors)
            if dry_run and on_chunk is not None:
                on_chunk(result.counts, work.last_row, result.errors)
            for name in ("created", "updated", "unchanged", "rejected", "duplicates", "processed"):
                setattr(total, name, getattr(total, name) + getattr(result.counts, name))
    return total


@contextmanager
def _few_collections() -> Iterator[None]:
    """Python's cycle collector runs every 700 new objects and, every so often, walks the
    whole heap: an import makes millions of short-lived objects (rows, instances, the
    workers' results) and spent about a tenth of its time there. During the import it
    runs every 50,000 (plain reference counting frees the rows as before)."""
    threshold = gc.get_threshold()
    gc.set_threshold(50_000, threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


# --------------------------------------------------------------------------------------------
# Worker processes for large imports
#
# One process validates against the database and writes, chunk by chunk and in file order;
# on a large import, worker processes do the per-row work that needs no database ahead of
# it: fingerprints, parsing, blind-index hashes, pinyin initials and the Fernet tokens of
# the values the writer will seal (``sensitive.Ahead``). The writer stays the only one to
# decide anything: it checks every row again in order (duplicates within the file, the
# fingerprints of rows written by earlier chunks), parses itself any row the workers left
# out, and encrypts itself any value whose token was not made ahead. Workers never touch
# the database. A worker that fails or dies costs speed, not rows: its chunk is done by the
# writer (which raises the same error on a bad row as it would alone), and after a dead
# worker the rest of the import runs in one process.

PIPELINE_MIN_ROWS = 6000  # smaller imports (the web page's usual file, tests): one process
PIPELINE_MAX_WORKERS = 4
PIPELINE_WINDOW = 4  # chunks read and prepared ahead of the one being written

logger = logging.getLogger(__name__)


def pipeline_workers(estimated_rows: int | None) -> int:
    """Worker processes for an import of about ``estimated_rows`` rows: none for a small
    file or where processes cannot be forked, else one per core but the writer's."""
    if (estimated_rows or 0) < PIPELINE_MIN_ROWS:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min((cores or 1) - 1, PIPELINE_MAX_WORKERS))


@dataclass
class _Work:
    """One chunk as the writer takes it."""

    rows: list[RawRow]
    last_row: int
    resumed: bool  # committed by an earlier run of the job
    keys: list[str | None]  # the ID number's blind index per row (None: no valid number)
    digests: list[str]  # the row fingerprint per row
    known: dict[str, tuple[str, str]]  # by key: (fingerprint of the last import, division)
    parsed: dict[int, Parsed] = field(default_factory=dict)  # by row number, parsed ahead
    ahead: Ahead | None = None


@dataclass
class _Pending:
    rows: list[RawRow]
    last_row: int
    resumed: bool
    marks: Future[tuple[list[str | None], list[str]]] | None = None
    known: dict[str, tuple[str, str]] | None = None
    keys: list[str | None] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    parse: Future[tuple[list[Parsed], Ahead]] | None = None


def _fingerprints(rows: list[RawRow]) -> tuple[list[str | None], list[str]]:
    return [_quick_id_hash(raw) for raw in rows], [row_digest(raw) for raw in rows]


def _known_imports(keys: list[str | None]) -> dict[str, tuple[str, str]]:
    """The fingerprint of the row last imported into each registered elder, and where."""
    wanted = [key for key in keys if key is not None]
    if not wanted:
        return {}
    return {
        h: (digest, code)
        for h, digest, code in Elder.objects.filter(id_number_hash__in=wanted).values_list(
            "id_number_hash", "import_digest", "division_code"
        )
    }


def _same_as_imported(
    actor: Actor, key: str | None, digest: str, known: dict[str, tuple[str, str]]
) -> bool:
    stored = known.get(key) if key is not None else None
    return (
        stored is not None
        and stored[0] == digest
        and actor.scope.covers(division_code=stored[1], organisation_id=None)
    )


def _split_unchanged(
    actor: Actor, work: _Work, seen: dict[str, int]
) -> tuple[int, list[tuple[RawRow, str]]]:
    """Rows identical to the last import of the same elder (in the actor's jurisdiction):
    counted as unchanged at once. The others go through the whole path, with their digest.
    An edit made on a page since that import is kept: the file did not change."""
    unchanged = 0
    rest: list[tuple[RawRow, str]] = []
    for raw, key, digest in zip(work.rows, work.keys, work.digests, strict=True):
        if (
            key is not None
            and key not in seen
            and _same_as_imported(actor, key, digest, work.known)
        ):
            seen[key] = raw.number
            unchanged += 1
        else:
            rest.append((raw, digest))
    return unchanged, rest


# The worker's state, set in each worker process when it starts.
_WORKER: dict[str, Any] = {}
# Database connections a worker inherited from the writer by fork: never used there, and
# never closed either (closing one would end the writer's PostgreSQL session); a worker
# ends with os._exit, which closes nothing.
_INHERITED: list[Any] = []


class WorkerDatabaseError(RuntimeError):
    """An import worker tried to use the database (it must not: the writer alone does)."""


def _no_database(*args: Any, **kwargs: Any) -> None:
    raise WorkerDatabaseError("import workers do not use the database")


def _worker_start(
    communities: CommunityResolver, labels: dict[str, str] | None, language: str | None
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the writer stops the workers
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _INHERITED.append(conn.connection)
            conn.connection = None
    for conn in connections.all():
        conn.connect = _no_database  # type: ignore[method-assign]
    if language:
        translation.activate(language)  # error messages in the writer's language
    _WORKER.update(communities=communities, labels=labels)


def _parse_ahead(rows: list[RawRow]) -> tuple[list[Parsed], Ahead]:
    """In a worker: parse rows, and make what writing them as new elders will need."""
    communities: CommunityResolver = _WORKER["communities"]
    ahead = Ahead()
    parsed_rows = []
    for raw in rows:
        parsed = parse_row(raw, communities=communities, labels=_WORKER["labels"])
        if not parsed.errors:
            _prepare_ahead(parsed, ahead)
        community = parsed.values.get("community")
        if community is not None:
            parsed.values["community"] = community.code  # the writer has its own Division
        parsed_rows.append(parsed)
    return parsed_rows, ahead


def _prepare_ahead(parsed: Parsed, ahead: Ahead) -> None:
    record = _merged(None, parsed.values)  # what a new elder's record holds
    ahead.id_hash(record.id_number)
    ahead.name(record.name)
    for value in record_secrets(record):
        ahead.seal(value)
    phones = list(record.phones)
    if parsed.contact is not None and "name" in parsed.contact:
        ahead.seal(parsed.contact["phone"])
        phones += parsed.contact["phone"]
    for phone in dict.fromkeys(phones):
        ahead.phone_hash(phone)


class _Pipeline:
    """The chunks of an import, in order, each with its fingerprints and the fingerprints
    of the last import of its ID numbers; with workers, also parsed and prepared ahead."""

    def __init__(
        self,
        chunks: Iterator[list[RawRow]],
        *,
        actor: Actor,
        communities: CommunityResolver,
        labels: dict[str, str] | None,
        resume_after: int,
        workers: int,
    ) -> None:
        self.chunks = chunks
        self.actor = actor
        self.communities = communities
        self.resume_after = resume_after
        self.workers = workers
        self.waited = 0.0  # seconds the writer waited for the workers
        self.executor: ProcessPoolExecutor | None = None
        if workers > 0:
            # Fork with no open connection (the workers must not share it); one inside a
            # transaction (a test's) cannot be closed and is left alone by the workers.
            for conn in connections.all(initialized_only=True):
                if not conn.in_atomic_block:
                    conn.close()
            self.executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_start,
                initargs=(communities, labels, translation.get_language()),
            )
            self._submit(int)  # fork now, before the writer opens a connection again

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
        if self.workers:
            logger.info(
                "Import pipeline: %d workers; the writer waited %.1f s for them.",
                self.workers,
                self.waited,
                extra={"waited_s": self.waited},
            )

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any] | None:
        if self.executor is None:
            return None
        try:
            return self.executor.submit(fn, *args)
        except BrokenProcessPool:
            self._broken()
            return None

    def _broken(self) -> None:
        logger.warning("An import worker process died; the import goes on in one process.")
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None

    def _result(self, future: Future[Any] | None) -> Any:
        """A worker's result, or None when there is none (the writer then does the work)."""
        if future is None:
            return None
        begin = time.monotonic()
        try:
            return future.result()
        except BrokenProcessPool:
            self._broken()
        except Exception:  # done again by the writer, which raises it then if it is the data's
            logger.warning("An import worker failed on a chunk; the writer does it again.")
        finally:
            self.waited += time.monotonic() - begin
        return None

    def __iter__(self) -> Iterator[_Work]:
        window = PIPELINE_WINDOW if self.executor is not None else 1
        pending: deque[_Pending] = deque()
        more = True
        while True:
            while more and len(pending) < window:
                chunk = next(self.chunks, None)
                if chunk is None:
                    more = False
                    break
                pending.append(self._start(chunk))
            if not pending:
                return
            for entry in pending:  # hand every chunk whose fingerprints are in to parsing
                ready = entry.marks is not None and entry.marks.done()
                if ready and entry.known is None and not entry.resumed:
                    self._start_parsing(entry)
            yield self._finish(pending.popleft())

    def _start(self, chunk: list[RawRow]) -> _Pending:
        resumed = chunk[-1].number <= self.resume_after
        rows = chunk if resumed else [raw for raw in chunk if raw.number > self.resume_after]
        entry = _Pending(rows=rows, last_row=chunk[-1].number, resumed=resumed)
        entry.marks = self._submit(_fingerprints, rows)
        return entry

    def _marks(self, entry: _Pending) -> None:
        if not entry.keys and entry.rows:
            found = self._result(entry.marks)
            entry.keys, entry.digests = found if found is not None else _fingerprints(entry.rows)

    def _start_parsing(self, entry: _Pending) -> None:
        """The last import's fingerprints of the chunk's ID numbers, then its parsing (in a
        worker) of the rows that differ. Read ahead of the earlier chunks' writes: the
        writer checks again against what those wrote (``seen``), and parses itself."""
        self._marks(entry)
        entry.known = _known_imports(entry.keys)
        if self.executor is None:
            return
        todo = [
            raw
            for raw, key, digest in zip(entry.rows, entry.keys, entry.digests, strict=True)
            if not _same_as_imported(self.actor, key, digest, entry.known)
        ]
        if todo:
            entry.parse = self._submit(_parse_ahead, todo)

    def _finish(self, entry: _Pending) -> _Work:
        if entry.resumed:
            self._marks(entry)
            return _Work(entry.rows, entry.last_row, True, entry.keys, entry.digests, {})
        if entry.known is None:
            self._start_parsing(entry)
        assert entry.known is not None
        work = _Work(entry.rows, entry.last_row, False, entry.keys, entry.digests, entry.known)
        found = self._result(entry.parse)
        if found is not None:
            parsed_rows, work.ahead = found
            for parsed in parsed_rows:
                code = parsed.values.get("community")
                if code is not None:
                    parsed.values["community"] = self.communities.by_code[code]
                work.parsed[parsed.row] = parsed
        return work


def _bulk_cache() -> None:
    """On SQLite, room for an import's pages on this connection. The indexes an import fills
    have random keys (keyed hashes, UUIDs): each chunk dirties a page per row and index.
    The default 2 MB cache then reads them back from the file, and the default checkpoint
    (every 1,000 WAL pages, at each commit) copies them all into the database again for
    every chunk: a 100,000-row import spent a fifth of its time committing. Checkpointing
    every 64 MB of WAL instead lets the chunks in between share their pages."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")  # KiB: 64 MiB
            cursor.execute("PRAGMA wal_autocheckpoint = 16384")  # pages of 4 KiB: 64 MiB


def row_digest(raw: RawRow) -> str:
    """A keyed fingerprint of a row's cells: the same row imported again is recognised
    without parsing, validating or decrypting anything."""
    cells = sorted((key, "" if v is None else str(v)) for key, v in raw.values.items())
    text = json.dumps([cells, sorted(raw.formulas)], ensure_ascii=False)
    return crypto.blind_index(text, purpose="elder.import_row")[:32]


def _quick_id_hash(raw: RawRow) -> str | None:
    value = raw.values.get("id_number")
    if value is None or isinstance(value, float):
        return None
    try:
        return id_hash(parse_citizen_id(str(value)).number)
    except IdNumberError:
        return None


def rows_from_dicts(rows: Iterable[dict[str, Any]], *, first_row: int = 2) -> Iterator[RawRow]:
    """Plain dicts (generated data, other systems) as spreadsheet rows."""
    for number, values in enumerate(rows, start=first_row):
        cleaned = {k: (v if v != "" else None) for k, v in values.items() if k in COLUMNS}
        yield RawRow(number=number, values=cleaned, formulas=frozenset())


def _advance(job: ImportJob, counts: Counts, last_row: int, errors: list[RowError]) -> None:
    job.processed_rows += counts.processed
    job.created_count += counts.created
    job.updated_count += counts.updated
    job.unchanged_count += counts.unchanged
    job.rejected_count += counts.rejected
    job.duplicate_count += counts.duplicates
    job.resume_after_row = last_row
    job.errors_ciphertext = seal([list(e.__dict__.values()) for e in errors[: report_limit()]])
    job.heartbeat_at = timezone.now()
    job.save()


def _finish(job: ImportJob, actor: Actor, status: str, message: str = "") -> ImportJob:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    if job.total_rows is None or status == ImportStatus.DONE:
        job.total_rows = job.processed_rows
    job.save()
    if job.file:
        job.file.delete(save=True)  # the uploaded data is not kept once imported
    audit_record(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=job,
        object_type="elders.importjob",
        object_repr=job.filename[:255],
        division_code=actor.scope.division_prefix or "",
        changes={
            "dry_run": job.dry_run,
            "status": status,
            "processed": job.processed_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "rejected": job.rejected_count,
        },
    )
    return job


def _chunks(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    chunk: list[RawRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def error_report_xlsx(job: ImportJob) -> bytes:
    """The rejected rows as a workbook: row, column, value, reason."""
    return report_xlsx(_job_errors(job), message=job.message, warnings=job.warnings)


def job_summary(job: ImportJob) -> dict[str, Any]:
    return {
        "id": str(job.external_id),
        "file": job.filename,
        "status": job.status,
        "dry_run": job.dry_run,
        "percent": job.percent,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
        "possible_duplicates": job.duplicate_count,
        "message": job.message,
        "warnings": job.warnings,
    }


def dumps(job: ImportJob) -> str:
    return json.dumps(job_summary(job), ensure_ascii=False)
