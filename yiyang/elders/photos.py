"""An elder's photo (shown on the printed meal card and where staff must recognise the
elder): personal data, so it is re-encoded as JPEG (no EXIF, no location), sealed as a
Fernet token in private storage (``MEDIA_ROOT`` is never served), and read only through
:func:`elder_photo_read`, which checks the reader's jurisdiction and writes each view to
the access log. Community workers (and officers) add, replace and remove it."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from yiyang.core import crypto
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.images import photo_normalise
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.choices import AccessAction, SensitiveField
from yiyang.elders.models import Elder
from yiyang.elders.services import ELDER_OBJECT_TYPE, access_logged


def _require_reach(actor: Actor, elder: Elder) -> None:
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise Http404


def _discard_on_commit(elder: Elder, name: str) -> None:
    """Delete a replaced photo's file once the change is committed (a rollback keeps it)."""
    if name:
        storage = elder.photo.storage
        transaction.on_commit(lambda: storage.delete(name))


def _history(actor: Actor, elder: Elder, before: str | None, after: str | None) -> None:
    """The elder's history notes that the photo changed (never the photo itself)."""
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=elder,
        object_type=ELDER_OBJECT_TYPE,
        object_repr=str(elder),
        division_code=elder.division_code,
        changes={"photo": [before, after]},
    )


@transaction.atomic
def elder_photo_set(*, actor: Actor, elder: Elder, data: bytes) -> Elder:
    """Add or replace the elder's photo: a JPEG, PNG or WebP under ELDER_PHOTO_MAX_BYTES,
    or a ValidationError on ``photo`` with nothing written."""
    require_perm(actor, Permission.MANAGE_ELDERS)
    _require_reach(actor, elder)
    if not data:
        raise ValidationError({"photo": _("Choose a photo to upload.")})
    photo = photo_normalise(data, max_bytes=settings.ELDER_PHOTO_MAX_BYTES)
    elder = Elder.objects.select_for_update().get(pk=elder.pk)
    old = elder.photo.name
    elder.photo.save("photo.bin", ContentFile(crypto.encrypt_bytes(photo.data)), save=False)
    try:
        elder.save(update_fields=["photo", "updated_at"])
        _history(actor, elder, "***" if old else None, "***")
    except BaseException:
        elder.photo.storage.delete(elder.photo.name)  # nothing half-written
        raise
    _discard_on_commit(elder, old)
    return elder


@transaction.atomic
def elder_photo_remove(*, actor: Actor, elder: Elder) -> Elder:
    """Remove the elder's photo (the file goes once the change is committed)."""
    require_perm(actor, Permission.MANAGE_ELDERS)
    _require_reach(actor, elder)
    elder = Elder.objects.select_for_update().get(pk=elder.pk)
    if not elder.photo:
        raise ValidationError({"photo": _("This elder has no photo.")})
    old = elder.photo.name
    elder.photo = ""
    elder.save(update_fields=["photo", "updated_at"])
    _discard_on_commit(elder, old)
    _history(actor, elder, "***", None)
    return elder


def elder_photo_read(*, actor: Actor, elder: Elder) -> bytes:
    """The photo's JPEG for a reader who may see the elder (404 otherwise, and when there
    is none); each read is written to the access log."""
    require_perm(actor, Permission.VIEW_ELDERS)
    _require_reach(actor, elder)
    return elder_photo_read_granted(actor=actor, elder=elder)


@transaction.atomic
def elder_photo_read_granted(*, actor: Actor, elder: Elder) -> bytes:
    """The photo's JPEG (404 when there is none), each read written to the access log, for
    a reader another scope rule has already granted this elder: the meal counter's staff
    see the elder they serve (``yiyang.meals``), whom the registry's jurisdiction does
    not reach. Callers check that grant first; this only decrypts and logs."""
    if not elder.photo:
        raise Http404
    with elder.photo.open("rb") as stored:
        data = crypto.decrypt_bytes(stored.read())
    access_logged(
        actor=actor,
        action=AccessAction.VIEW,
        fields=[SensitiveField.PHOTO],
        elders=[(elder.pk, elder.division_code)],
    )
    return data


def elder_photos_rotate() -> int:
    """Re-encrypt every stored photo with the current primary key (``yiyang
    rotate-field-keys`` runs it after the fields): each file is replaced whole, through a
    temporary file, so a crash leaves the old token or the new one, never half of one."""
    done = 0
    for elder in Elder.objects.exclude(photo="").only("pk", "photo").iterator(chunk_size=500):
        storage = elder.photo.storage
        with storage.open(elder.photo.name, "rb") as stored:
            token = stored.read()
        fresh = crypto.rotate(token.decode("ascii")).encode("ascii")
        path = Path(storage.path(elder.photo.name))
        temporary = path.with_suffix(".rotating")
        temporary.write_bytes(fresh)
        os.replace(temporary, path)
        done += 1
    return done
