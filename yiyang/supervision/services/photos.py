"""Evidence photos of ratings, inspections and rectifications: every upload is checked and
re-encoded (``core.images.photo_normalise``) before anything is written, so a bad file
refuses the whole save; the services of each workflow call ``photos_checked`` first and
``photos_store`` inside their transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from yiyang.core.images import Photo, photo_normalise
from yiyang.core.permissions import Actor, actor_user
from yiyang.supervision.models import EvidencePhoto

PHOTOS_PER_RECORD = 10


def photos_checked(uploads: Sequence[bytes], *, field: str, have: int = 0) -> list[Photo]:
    """The uploads as JPEGs, or a ValidationError on ``field`` (bad file, too many)."""
    if have + len(uploads) > PHOTOS_PER_RECORD:
        raise ValidationError(
            {field: _("A record keeps at most %(n)d photos.") % {"n": PHOTOS_PER_RECORD}}
        )
    return [
        photo_normalise(data, max_bytes=settings.VISIT_PHOTO_MAX_BYTES, field=field)
        for data in uploads
    ]


def photos_store(
    photos: Sequence[Photo],
    *,
    actor: Actor,
    organisation_id: int,
    division_code: str,
    **owner: object,
) -> list[EvidencePhoto]:
    """Store checked photos for one owner (``item_score=``, ``inspection=`` or
    ``rectification=``); called inside the caller's transaction."""
    rows = []
    for photo in photos:
        row = EvidencePhoto(
            organisation_id=organisation_id,
            division_code=division_code,
            size_bytes=len(photo.data),
            width=photo.width,
            height=photo.height,
            uploaded_by=actor_user(actor),
            **owner,
        )
        row.image.save("photo.jpg", ContentFile(photo.data), save=False)
        row.save()
        rows.append(row)
    return rows
