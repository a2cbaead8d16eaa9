"""Photos people upload (visit evidence, construction milestones): checked to be a real
JPEG, PNG or WebP under a size limit, and stored re-encoded as JPEG, which also drops the
camera's EXIF (location included). One place decides it for every app."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000
LONGEST_SIDE = 1600


@dataclass(frozen=True)
class Photo:
    data: bytes  # JPEG
    width: int
    height: int


def photo_normalise(data: bytes, *, max_bytes: int, field: str = "photo") -> Photo:
    """The upload as a JPEG at most ``LONGEST_SIDE`` pixels long, or a ValidationError
    on ``field`` saying what is wrong (too big, not an image, too many pixels)."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > max_bytes:
        raise ValidationError(
            {
                field: _("The photo is %(size).1f MB; at most %(limit).1f MB.")
                % {"size": len(data) / 2**20, "limit": max_bytes / 2**20}
            }
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in PHOTO_FORMATS:
                raise UnidentifiedImageError
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError({field: _("The image is too large in pixels.")})
            rgb = image.convert("RGB")
            rgb.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=82)
            return Photo(out.getvalue(), *rgb.size)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError({field: _("The file is not a JPEG, PNG or WebP image.")}) from exc
