"""Import jobs: the uploaded file, its progress, its end and its report."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.elders.choices import ImportStatus
from yiyang.elders.columns import COLUMNS
from yiyang.elders.import_report import report_limit, report_xlsx
from yiyang.elders.importing.rows import Counts, RowError
from yiyang.elders.models import ImportJob
from yiyang.elders.sensitive import seal, unseal
from yiyang.elders.tabular import RawRow

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


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
