"""Files posted to the pages: the one a form must carry, and a spreadsheet put on disk for
the readers that open paths."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest


def posted_file(request: HttpRequest, name: str, missing: str) -> UploadedFile:
    """The file an upload form posted as ``name``; a refusal saying ``missing`` for the
    field when none was chosen."""
    upload = request.FILES.get(name)
    if upload is None:
        raise ValidationError({name: missing})
    return upload


@contextmanager
def upload_on_disk(upload: UploadedFile) -> Iterator[Path]:
    """The uploaded file as a temporary file on disk, removed afterwards; its name keeps the
    upload's suffix (at most 8 characters), by which the readers tell the format."""
    suffix = Path(upload.name or "").suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        yield Path(handle.name)
