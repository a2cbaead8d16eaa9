"""Key rotation: re-encrypt every sensitive value with the first key."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.db import transaction

from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.models import Elder, ElderContact, ImportJob
from yiyang.elders.sensitive import elder_id_number, id_hash
from yiyang.elders.services.common import _refresh_lookups
from yiyang.elders.services.records import ELDER_OBJECT_TYPE


def field_keys_rotate(
    *, actor: Actor, rehash: bool = False, batch_size: int = 1000
) -> dict[str, int]:
    """Re-encrypt every sensitive value with the first key of FIELD_ENCRYPTION_KEYS (after a
    new key was put first), so the old key can be removed. With ``rehash``, recompute the
    blind index after FIELD_HASH_KEY changed. Batches commit separately: safe to re-run."""
    require_perm(actor, Permission.MANAGE_DIVISIONS)  # a city administrator's job
    counts = {"elders": 0, "contacts": 0, "imports": 0}
    columns = Elder.SEALED_FIELDS
    last = 0
    while True:
        with transaction.atomic():
            batch = list(Elder.objects.filter(pk__gt=last).order_by("pk")[:batch_size])
            if not batch:
                break
            for elder in batch:
                for column in columns:
                    token = getattr(elder, column)
                    if token:
                        setattr(elder, column, crypto.rotate(token))
                if rehash:
                    elder.id_number_hash = id_hash(elder_id_number(elder))
            Elder.objects.bulk_update(batch, [*columns, "id_number_hash"])
            if rehash:
                for elder in batch:
                    _refresh_lookups(elder)
            counts["elders"] += len(batch)
            last = batch[-1].pk
    for contact in ElderContact.objects.exclude(phones_ciphertext="").iterator():
        contact.phones_ciphertext = crypto.rotate(contact.phones_ciphertext)
        contact.save(update_fields=["phones_ciphertext"])
        counts["contacts"] += 1
    for job in ImportJob.objects.exclude(errors_ciphertext="").iterator():
        job.errors_ciphertext = crypto.rotate(job.errors_ciphertext)
        job.save(update_fields=["errors_ciphertext"])
        counts["imports"] += 1
    # Other apps' sealed columns: each model lists its token columns in SEALED_FIELDS and
    # its JSON columns with a sealed member (the audit log's changes) in SEALED_JSON_FIELDS.
    for model in django_apps.get_models():
        if model in (Elder, ElderContact, ImportJob):  # above
            continue
        tokens = getattr(model, "SEALED_FIELDS", ())
        parts = getattr(model, "SEALED_JSON_FIELDS", ())
        if tokens or parts:
            label = model._meta.label_lower
            counts[label] = crypto.sealed_tokens_rotate(model, tokens) if tokens else 0
            counts[label] += crypto.sealed_parts_rotate(model, parts)
    # Columns encrypted by their field class (visit notes, alert details, vital signs...).
    counts |= crypto.encrypted_fields_rotate(batch_size=batch_size)
    audit_record(
        actor=actor,
        action=AuditAction.KEYS_ROTATED,
        object_type=ELDER_OBJECT_TYPE,
        object_repr=f"{counts['elders']} elders",
        changes=counts | {"rehash": rehash},
    )
    return counts
