"""The elder's optional photo: a community worker adds it on the elder's page; it is
stored sealed (never a plain image on disk), served only to those who may see the elder
(each view in the access log, never cached), printed on the meal card; a bad file is
refused with nothing written; removal deletes the file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.conftest import World
from tests.meals.conftest import Meals, build_meals
from yiyang.core.permissions import Role
from yiyang.elders.models import AccessLog, Elder


@pytest.fixture
def meals(world: World) -> Meals:
    return build_meals(world)


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 120, 80)).save(out, "PNG")
    return SimpleUploadedFile("face.png", out.getvalue(), content_type="image/png")


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_worker_adds_the_photo_and_it_is_served_sealed_and_logged(
    meals: Meals, client_for: Any, private_media: Path
) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    url = f"/elders/{meals.old.external_id}/photo/"
    response = worker.post(url, {"photo": png()})
    assert response.status_code == 302
    elder = Elder.objects.get(pk=meals.old.pk)
    assert elder.photo.name.startswith("elders/photos/")
    (stored,) = _files(private_media)
    assert stored.read_bytes().startswith(b"gAAAA")  # a Fernet token, not an image
    page = worker.get(f"/elders/{elder.external_id}/").content.decode()
    assert f'src="{url}"' in page
    before = AccessLog.objects.filter(fields=["photo"]).count()
    image = worker.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")
    assert "no-store" in image["Cache-Control"]
    log = AccessLog.objects.filter(fields=["photo"]).latest("id")
    assert AccessLog.objects.filter(fields=["photo"]).count() == before + 1
    assert (log.actor_username, list(log.elders.all())) == ("community_worker", [elder])


def test_the_photo_is_refused_outside_the_jurisdiction_and_to_other_roles(
    meals: Meals, client_for: Any
) -> None:
    url = f"/elders/{meals.old.external_id}/photo/"
    assert client_for(Role.COMMUNITY_WORKER).post(url, {"photo": png()}).status_code == 302
    assert client_for("worker_YA1a").get(url).status_code == 404
    assert client_for("worker_YA1a").post(url, {"photo": png()}).status_code == 404
    assert client_for(Role.PROVIDER_MANAGER).get(url).status_code in (403, 404)
    # An auditor may see the elder (logged) but not change the photo.
    assert client_for(Role.AUDITOR).get(url).status_code == 200
    assert client_for(Role.AUDITOR).post(url, {"remove": "1"}).status_code == 403
    assert Elder.objects.get(pk=meals.old.pk).photo


def test_a_bad_file_is_refused_with_nothing_written(
    meals: Meals, client_for: Any, private_media: Path
) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    url = f"/elders/{meals.old.external_id}/photo/"
    text = SimpleUploadedFile("face.png", b"not an image", content_type="image/png")
    response = worker.post(url, {"photo": text}, follow=True)
    assert "JPEG" in response.content.decode()
    assert not Elder.objects.get(pk=meals.old.pk).photo
    assert _files(private_media) == []
    assert worker.get(url).status_code == 404


def test_the_meal_card_prints_the_photo_and_removal_deletes_it(
    meals: Meals, client_for: Any, private_media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from yiyang.meals.services import meal_card_issue

    worker = client_for(Role.COMMUNITY_WORKER)
    card = meal_card_issue(actor=meals.world.user[Role.COMMUNITY_WORKER], elder=meals.old)
    print_url = f"/meals/cards/{card.external_id}/print/"
    assert 'id="meal-card-photo"' not in worker.get(print_url).content.decode()
    url = f"/elders/{meals.old.external_id}/photo/"
    worker.post(url, {"photo": png()})
    assert f'id="meal-card-photo" src="{url}"' in worker.get(print_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        worker.post(url, {"photo": png()})  # replaced: the first file goes
    assert len(_files(private_media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        worker.post(url, {"remove": "1"})
    assert _files(private_media) == []
    assert not Elder.objects.get(pk=meals.old.pk).photo
    assert 'id="meal-card-photo"' not in worker.get(print_url).content.decode()


def test_a_key_rotation_re_encrypts_the_stored_photos(
    meals: Meals, client_for: Any, settings: Any
) -> None:
    from cryptography.fernet import Fernet

    from yiyang.elders.photos import elder_photos_rotate

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    worker = client_for(Role.COMMUNITY_WORKER)
    url = f"/elders/{meals.old.external_id}/photo/"
    worker.post(url, {"photo": png()})
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert elder_photos_rotate() == 1
    settings.FIELD_ENCRYPTION_KEYS = [new]
    image = worker.get(url)
    assert image.status_code == 200 and image.content.startswith(b"\xff\xd8")
