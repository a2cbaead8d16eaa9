"""Signed contract documents: PDFs and images, checked by their first bytes (not by the
name or the browser's word), encrypted at rest in the database, never under static or
media; read only through the scoped, audited download (``selectors``, ``web``, ``api``)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.settlement.models import Contract, ContractDocument

# Content type by the file's first bytes, and the extensions each may carry.
SIGNATURES = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
)


def max_bytes() -> int:
    return int(getattr(settings, "SETTLEMENT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))


def _too_large() -> ValidationError:
    return ValidationError(
        {"document": _("The file is larger than %(mb)s MB.") % {"mb": max_bytes() // 2**20}}
    )


def upload_bytes(upload: Any) -> bytes:
    """An uploaded file's bytes, refused before reading it whole when larger than accepted."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise _too_large()
    return bytes(upload.read(max_bytes() + 1))


def document_type(name: str, data: bytes) -> str:
    """The content type of an acceptable document, or a ValidationError saying why not."""
    if not data:
        raise ValidationError({"document": _("The file is empty.")})
    if len(data) > max_bytes():
        raise _too_large()
    extension = os.path.splitext(name)[1].lower()
    for magic, content_type, extensions in SIGNATURES:
        if data.startswith(magic):
            if extension not in extensions:
                break
            return content_type
    raise ValidationError({"document": _("Upload the signed contract as a PDF, PNG or JPEG file.")})


def _require_manage(actor: Actor, contract: Contract) -> None:
    require_perm(actor, Permission.MANAGE_CONTRACTS)
    if not actor.scope.covers_division_code(contract.division_code):
        raise ValidationError({"document": _("The contract was bought outside your jurisdiction.")})


@transaction.atomic
def contract_document_add(
    *, actor: Actor, contract: Contract, name: str, data: bytes
) -> ContractDocument:
    """Attach a signed document to a contract (by its buyer's officers)."""
    _require_manage(actor, contract)
    clean_name = os.path.basename(name.replace("\\", "/")).strip()[:200]
    if not clean_name:
        raise ValidationError({"document": _("The file has no name.")})
    content_type = document_type(clean_name, data)
    document = ContractDocument.objects.create(
        contract=contract,
        name=clean_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=crypto.encrypt_bytes(data),
        uploaded_by=actor_user(actor),
        uploaded_by_username=actor.username,
    )
    audit_change(
        actor,
        AuditAction.CREATE,
        document,
        {"contract": contract.number, "name": clean_name, "size": len(data)},
        division_code=contract.division_code,
    )
    return document


@transaction.atomic
def contract_document_delete(*, actor: Actor, document: ContractDocument) -> None:
    contract = document.contract
    _require_manage(actor, contract)
    audit_change(
        actor,
        AuditAction.UPDATE,
        contract,
        {"document_deleted": document.name, "sha256": document.sha256},
    )
    document.delete()


def contract_document_read(*, actor: Actor, document: ContractDocument) -> bytes:
    """The document's bytes for one who may see the contract (the caller found it through
    the scoped selector); every read is audited."""
    audit_change(
        actor,
        AuditAction.EXPORT,
        document,
        {"contract": document.contract.number, "name": document.name},
        division_code=document.contract.division_code,
    )
    return crypto.decrypt_bytes(bytes(document.data))
