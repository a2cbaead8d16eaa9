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
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.bulk import bulk_insert
from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Actor, Permission, require_perm
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
    _user,
    near_duplicates_find,
    record_changes,
    record_of,
    validate_record,
)
from yiyang.elders.tabular import RawRow, UnreadableFile, open_table

CHUNK_ROWS = 2000  # rows per transaction: fewer commits; the write lock held ~1.5 s
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
REPORT_LIMIT = 100_000  # rejected rows kept for the report


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
                _("%(count)d communities are named %(name)s: give the street too "
                  "(street/community) or the 12-digit code.")
                % {"count": len(matches), "name": text}
            )  # fmt: skip
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
    "name": 50, "address": 200, "disability_certificate": 40, "insurance_number": 40,
    "family_doctor": 120, "contact_name": 50,
}  # fmt: skip


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
        errors.append(RowError(raw.number, names[key], "", _(
            "The cell holds a formula; paste its value instead."
        )))  # fmt: skip
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
                parsed = sorted({
                    str(parse_choice(part, choices=CONDITION_CHOICES,
                                     aliases=ALIASES["chronic_conditions"]))
                    for part in split_multi(value)
                })  # fmt: skip
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
            errors.append(RowError(raw.number, names["contact_name"], "", _(
                "A contact's phone or relation is given without the contact's name."
            )))  # fmt: skip
        if "relation" not in contact:
            contact["relation"] = Relation.OTHER
        contact.setdefault("phone", [])
    return Parsed(raw.number, values, contact or None, errors)


def _merged(existing: Record | None, values: dict[str, Any]) -> Record:
    base = dict(existing.__dict__) if existing is not None else {}
    merged = Record(**(base | values))
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
        elder=elder, name=contact["name"], relation=contact["relation"],
        phones_ciphertext=seal(phones), phones_masked=masked_phones(phones),
        is_first_to_call=first, position=len(elder.prefetched_contacts) + 1,  # type: ignore[attr-defined]
    )  # fmt: skip


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
            errors.append(RowError(parsed.row, names["id_number"], number[:6] + "…", _(
                "The same ID number as row %(row)d of this file."
            ) % {"row": seen[digest]}))  # fmt: skip
            continue
        seen[digest] = parsed.row
        candidates.append((parsed, digest))
    existing = {
        e.id_number_hash: e
        for e in Elder.objects.filter(id_number_hash__in=[d for _, d in candidates]).select_related(
            "community__parent__parent__parent"
        )
    }
    contacts_by_elder: dict[int, list[ElderContact]] = {}
    for known in ElderContact.objects.filter(
        elder__in=list(existing.values()), is_active=True
    ).order_by("position", "id"):
        contacts_by_elder.setdefault(known.elder_id, []).append(known)
    new: list[tuple[Elder, Record, Parsed]] = []
    changed: list[tuple[Elder, dict[str, Any]]] = []
    contact_writes: list[ElderContact] = []
    history: list[AuditEvent] = []
    lookups: list[ElderLookup] = []
    digest_only: list[Elder] = []
    today = timezone.localdate()
    for parsed, digest in candidates:
        elder = existing.get(digest)
        before = record_of(elder) if elder is not None else None
        record = _merged(before, parsed.values)
        problems = validate_record(
            record, actor=actor, instance=elder, today=today, check_unique=False
        )
        if elder is not None and not actor.scope.covers(
            division_code=elder.division_code, organisation_id=None
        ):
            problems = {"id_number": _(
                "This ID number is registered in a community outside your jurisdiction."
            )}  # fmt: skip
        if problems:
            rejected_row = parsed.row
            for name, reason in problems.items():
                column = names.get(name, name)
                errors.append(
                    RowError(rejected_row, column, _show(parsed.values.get(name)), reason)
                )
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
    if new:
        bulk_insert([e for e, _, _ in new], set_pks=True)
        counts.created = len(new)
        for elder, record, parsed in new:
            # The record holds its first values; history starts with where it came from.
            history.append(_event(actor, elder, AuditAction.CREATE, {}))
            contact = _contact_changes(elder, parsed.contact)
            if contact is not None:
                contact_writes.append(contact)
            lookups += _new_lookups(elder, record.phones, parsed.contact)
    if changed:
        fields = [
            "name", "name_initials", "id_number_ciphertext", "id_number_hash", "id_number_masked",
            "sex", "birth_date", "ethnicity", "phones_ciphertext", "phones_masked", "community",
            "division_code", "address", "lat", "lng", "living_arrangement", "marital_status",
            "economic_status", "insurance_type", "insurance_number_ciphertext",
            "health_ciphertext", "status", "status_changed_on", "deceased_on", "updated_at",
            "duplicate_key", "import_digest",
        ]  # fmt: skip
        now = timezone.now()
        for elder, changes in changed:
            elder.updated_at = now
            history.append(_event(actor, elder, AuditAction.UPDATE, changes))
        Elder.objects.bulk_update([e for e, _ in changed], fields, batch_size=500)
    if contact_writes:
        fresh = [c for c in contact_writes if c.pk is None]
        to_update = [c for c in contact_writes if c.pk is not None]
        bulk_insert(fresh)
        if to_update:
            ElderContact.objects.bulk_update(
                to_update, ["relation", "phones_ciphertext", "phones_masked"], batch_size=500
            )
    bulk_insert(lookups, ignore_conflicts=True)
    if digest_only:  # unchanged records learn this row's fingerprint (no history: no change)
        Elder.objects.bulk_update(digest_only, ["import_digest"], batch_size=1000)
    if changed:
        _lookups_rebuild([e for e, _ in changed])
    bulk_insert(history)
    relevant = [e for e, _, _ in new] + [
        e for e, changes in changed if {"name", "birth_date", "community"} & set(changes)
    ]
    counts.duplicates = len(near_duplicates_find(relevant))
    return ChunkResult(counts, errors)


def _event(actor: Actor, elder: Elder, action: str, changes: dict[str, Any]) -> AuditEvent:
    from yiyang.core.context import current_origin

    origin = current_origin()
    return AuditEvent(
        actor=_user(actor),
        actor_username=str(getattr(actor, "username", ""))[:150], action=action,
        object_type=ELDER_OBJECT_TYPE, object_id=str(elder.external_id),
        object_repr=str(elder)[:255], division_code=elder.division_code,
        changes=changes | {"source": "import"}, ip_address=origin.ip_address,
        user_agent=(origin.user_agent or "")[:255],
    )  # fmt: skip


def _new_lookups(
    elder: Elder, phones: list[str], contact: dict[str, Any] | None
) -> list[ElderLookup]:
    """Index entries of a new elder, from the values in hand (nothing to decrypt)."""
    rows = [
        ElderLookup(elder=elder, kind=ElderLookup.Kind.PHONE, value_hash=phone_hash(p))
        for p in phones
    ]
    if contact is not None and "name" in contact:
        rows += [
            ElderLookup(elder=elder, kind=ElderLookup.Kind.CONTACT_PHONE, value_hash=phone_hash(p))
            for p in contact["phone"] if p not in phones
        ]  # fmt: skip
    return rows


def _lookups_rebuild(elders: list[Elder]) -> None:
    ids = [e.pk for e in elders]
    ElderLookup.objects.filter(elder_id__in=ids).delete()
    rows: list[ElderLookup] = []
    for elder in elders:
        for phone in unseal(elder.phones_ciphertext, []):
            rows.append(
                ElderLookup(elder=elder, kind=ElderLookup.Kind.PHONE, value_hash=phone_hash(phone))
            )
    all_contacts = ElderContact.objects.filter(elder_id__in=ids, is_active=True)
    for contact in all_contacts:
        for phone in contact_phones(contact):
            rows.append(ElderLookup(
                elder_id=contact.elder_id, kind=ElderLookup.Kind.CONTACT_PHONE,
                value_hash=phone_hash(phone),
            ))  # fmt: skip
    ElderLookup.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


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
        raise ValidationError({"file": _("The file is larger than %(mb)d MB.") % {
            "mb": MAX_UPLOAD_BYTES // (1024 * 1024)
        }})  # fmt: skip
    if Path(name).suffix.lower() not in (".xlsx", ".xlsm", ".csv", ".txt"):
        raise ValidationError({"file": _("Upload an .xlsx or .csv file.")})
    job = ImportJob(
        created_by=_user(actor),
        created_by_username=str(getattr(actor, "username", ""))[:150],
        filename=name, dry_run=dry_run,
    )  # fmt: skip
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


def import_job_run(*, job: ImportJob, actor: Actor, progress: Progress | None = None) -> ImportJob:
    """Run (or resume) an import job to the end. Returns the finished job."""
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

            def committed(counts: Counts, last_row: int, chunk_errors: list[RowError]) -> None:
                errors.extend(chunk_errors)
                _advance(job, counts, last_row, errors)
                if progress is not None:
                    progress(job)

            import_rows(
                actor=actor, rows=table.rows, dry_run=job.dry_run,
                resume_after=job.resume_after_row, on_chunk=committed,
                labels={key: table.headers[index] for key, index in table.columns.items()},
            )  # fmt: skip
            job.warnings = warnings + [w for w in table.warnings if w not in warnings]
    return _finish(job, actor, ImportStatus.DONE)


ChunkHook = Callable[[Counts, int, list[RowError]], None]


def import_rows(
    *,
    actor: Actor,
    rows: Iterable[RawRow],
    dry_run: bool = False,
    resume_after: int = 0,
    on_chunk: ChunkHook | None = None,
    labels: dict[str, str] | None = None,
) -> Counts:
    """Import rows chunk by chunk. ``on_chunk`` runs inside each chunk's transaction (after
    a dry run's rollback), so progress kept there commits with the rows it counts."""
    require_perm(actor, Permission.IMPORT_ELDERS)
    _bulk_cache()
    communities = CommunityResolver(actor)
    seen: dict[str, int] = {}
    total = Counts()
    for chunk in _chunks(rows, CHUNK_ROWS):
        if chunk[-1].number <= resume_after:
            # Committed by an earlier run: only remember its ID numbers (duplicates check).
            for raw in chunk:
                key = _quick_id_hash(raw)
                if key is not None:
                    seen.setdefault(key, raw.number)
            continue
        chunk = [raw for raw in chunk if raw.number > resume_after]
        unchanged, rest = _unchanged_since_last_import(actor, chunk, seen)
        parsed = []
        for raw, digest in rest:
            row = parse_row(raw, communities=communities, labels=labels)
            row.digest = digest
            parsed.append(row)
        with transaction.atomic():
            result = import_chunk(actor=actor, parsed_rows=parsed, seen=seen, labels=labels)
            result.counts.unchanged += unchanged
            result.counts.processed += unchanged
            if dry_run:
                transaction.set_rollback(True)  # counted, never written
            elif on_chunk is not None:
                on_chunk(result.counts, chunk[-1].number, result.errors)
        if dry_run and on_chunk is not None:
            on_chunk(result.counts, chunk[-1].number, result.errors)
        for name in ("created", "updated", "unchanged", "rejected", "duplicates", "processed"):
            setattr(total, name, getattr(total, name) + getattr(result.counts, name))
    return total


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


def _unchanged_since_last_import(
    actor: Actor, chunk: list[RawRow], seen: dict[str, int]
) -> tuple[int, list[tuple[RawRow, str]]]:
    """Rows identical to the last import of the same elder (in the actor's jurisdiction):
    counted as unchanged at once. The others go through the whole path, with their digest.
    An edit made on a page since that import is kept: the file did not change."""
    keyed = [(raw, _quick_id_hash(raw), row_digest(raw)) for raw in chunk]
    known = {
        h: (digest, code)
        for h, digest, code in Elder.objects.filter(
            id_number_hash__in=[k for _, k, _ in keyed if k is not None]
        ).values_list("id_number_hash", "import_digest", "division_code")
    }
    unchanged = 0
    rest: list[tuple[RawRow, str]] = []
    for raw, key, digest in keyed:
        stored = known.get(key) if key is not None else None
        if (
            stored is not None
            and key not in seen
            and stored[0] == digest
            and actor.scope.covers(division_code=stored[1], organisation_id=None)
        ):
            seen[key] = raw.number  # type: ignore[index]
            unchanged += 1
        else:
            rest.append((raw, digest))
    return unchanged, rest


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
    job.errors_ciphertext = seal([list(e.__dict__.values()) for e in errors[:REPORT_LIMIT]])
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
        actor=actor, action=AuditAction.IMPORT, obj=job, object_type="elders.importjob",
        object_repr=job.filename[:255], division_code=actor.scope.division_prefix or "",
        changes={
            "dry_run": job.dry_run, "status": status, "processed": job.processed_rows,
            "created": job.created_count, "updated": job.updated_count,
            "unchanged": job.unchanged_count, "rejected": job.rejected_count,
        },
    )  # fmt: skip
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
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rejected rows"))
    sheet.append([_("Row"), _("Column"), _("Value"), _("Reason")])
    for error in _job_errors(job):
        sheet.append([error.row, error.column, _safe_cell(error.value), error.reason])
    if job.message:
        sheet.append(["", "", "", job.message])
    for warning in job.warnings:
        sheet.append(["", "", "", warning])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe_cell(value: str) -> str:
    """Spreadsheet formula injection: a value starting with = + - @ is written as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def job_summary(job: ImportJob) -> dict[str, Any]:
    return {
        "id": str(job.external_id), "file": job.filename, "status": job.status,
        "dry_run": job.dry_run, "percent": job.percent, "total_rows": job.total_rows,
        "processed_rows": job.processed_rows, "created": job.created_count,
        "updated": job.updated_count, "unchanged": job.unchanged_count,
        "rejected": job.rejected_count, "possible_duplicates": job.duplicate_count,
        "message": job.message, "warnings": job.warnings,
    }  # fmt: skip


def dumps(job: ImportJob) -> str:
    return json.dumps(job_summary(job), ensure_ascii=False)
