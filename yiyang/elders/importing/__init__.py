"""Spreadsheet imports of elders: one job per file, upsert by ID number, per-row errors.

A row is accepted whole or rejected whole (with every reason: row, column, value). Rows are
written in chunks, each chunk in one transaction together with the job's progress, so a
crash loses at most the chunk in flight and a re-run resumes after the last committed row.
Re-importing a file changes nothing that did not change: an empty cell never erases a value
and unchanged records are not written at all. A dry run takes the same path and rolls each
chunk back, so its counts are exactly what a real run would do.

Split by step: ``rows`` (parsing a row), ``chunk`` (validating and writing a chunk through
the registry's record step), ``pipeline`` (worker processes), ``jobs`` (the job and its
report). The run itself is here, and looks up ``CHUNK_ROWS``, ``import_chunk``,
``parse_row`` and ``_parse_ahead`` on this module, so that they can be replaced as one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.choices import ImportStatus
from yiyang.elders.columns import COLUMNS
from yiyang.elders.import_report import report_limit, truncation_note
from yiyang.elders.importing.chunk import ChunkResult, import_chunk
from yiyang.elders.importing.jobs import (
    MAX_UPLOAD_BYTES,
    ChunkHook,
    Progress,
    _advance,
    _finish,
    _job_errors,
    dumps,
    error_report_xlsx,
    import_job_create,
    import_job_errors,
    import_job_for_resume,
    import_job_mark_crashed,
    job_summary,
    rows_from_dicts,
)
from yiyang.elders.importing.pipeline import (
    PIPELINE_MAX_WORKERS,
    PIPELINE_MIN_ROWS,
    PIPELINE_WINDOW,
    WorkerDatabaseError,
    _bulk_cache,
    _chunks,
    _few_collections,
    _parse_ahead,
    _Pipeline,
    _split_unchanged,
    pipeline_workers,
    row_digest,
)
from yiyang.elders.importing.rows import CommunityResolver, Counts, Parsed, RowError, parse_row
from yiyang.elders.models import ImportJob
from yiyang.elders.sensitive import computed_ahead
from yiyang.elders.tabular import RawRow, UnreadableFile, open_table

__all__ = [
    "CHUNK_ROWS",
    "MAX_UPLOAD_BYTES",
    "PIPELINE_MAX_WORKERS",
    "PIPELINE_MIN_ROWS",
    "PIPELINE_WINDOW",
    "ChunkHook",
    "ChunkResult",
    "CommunityResolver",
    "Counts",
    "Parsed",
    "Progress",
    "RowError",
    "WorkerDatabaseError",
    "_parse_ahead",
    "dumps",
    "error_report_xlsx",
    "import_chunk",
    "import_job_create",
    "import_job_errors",
    "import_job_for_resume",
    "import_job_mark_crashed",
    "import_job_run",
    "import_rows",
    "job_summary",
    "parse_row",
    "pipeline_workers",
    "row_digest",
    "rows_from_dicts",
    "truncation_note",
]

CHUNK_ROWS = 2000  # rows per transaction: fewer commits; the write lock held ~1.5 s


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
