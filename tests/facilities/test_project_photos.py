"""Milestone photos of construction projects: added for a milestone reached, re-encoded
without EXIF, shown on the projects page, served only within the project's scope."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.conftest import World
from tests.facilities.conftest import facility_at
from yiyang.core.models import AuditEvent
from yiyang.facilities.models import ProjectPhoto
from yiyang.facilities.services import project_start


def picture() -> SimpleUploadedFile:
    out = io.BytesIO()
    image = Image.new("RGB", (2400, 1800), (90, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    image.save(out, "JPEG", exif=exif)
    return SimpleUploadedFile("site.jpg", out.getvalue(), content_type="image/jpeg")


def project_in(placed: World, system: Any) -> Any:
    today = timezone.localdate()
    facility = facility_at(
        placed,
        system,
        "XA1b",
        34.77,
        113.65,
        status="planned",
        planned_on=today - datetime.timedelta(days=9),
    )
    return project_start(
        actor=system,
        facility=facility,
        year=today.year,
        budget=Decimal(1),
        funding_source="city",
        approved_on=today - datetime.timedelta(days=5),
    )


def test_a_photo_for_a_milestone_reached(
    placed: World, system: Any, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    project = project_in(placed, system)
    client = client_for("district_officer")
    url = reverse("facilities:project-photo-upload", args=[project.external_id])
    client.post(url, {"milestone": "approved", "photo": picture(), "caption": "立项现场"})
    photo = ProjectPhoto.objects.get()
    assert (photo.milestone, photo.caption, photo.uploaded_by.username) == (
        "approved",
        "立项现场",
        "district_officer",
    )
    stored = Image.open(photo.image.open("rb"))
    assert max(stored.size) == 1600 and not stored.getexif()  # resized, EXIF gone
    assert AuditEvent.objects.filter(object_type="facilities.projectphoto").exists()
    # Not yet reached, not an image, no file: refused with a message, nothing stored.
    client.post(url, {"milestone": "completed", "photo": picture()})
    client.post(
        url, {"milestone": "approved", "photo": SimpleUploadedFile("a.jpg", b"not an image")}
    )
    client.post(url, {"milestone": "approved"})
    assert ProjectPhoto.objects.count() == 1
    # The page shows it; the picture is served within scope only.
    page = client.get(reverse("facilities:projects")).content.decode()
    served = reverse("facilities:project-photo", args=[photo.external_id])
    assert f'src="{served}"' in page
    response = client.get(served)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client_for("admin_Y").get(served).status_code == 404
    # Roles that do not manage projects cannot add one.
    assert (
        client_for("street_officer")
        .post(url, {"milestone": "approved", "photo": picture()})
        .status_code
        == 403
    )
