"""The elder's photo over the API, exactly as on the page: added or replaced (PUT, a
multipart ``photo``), fetched (each view in the access log, never cached), removed; a bad
image is a 400 on ``photo`` with the reason and nothing written; the same scope."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from tests.conftest import World
from tests.meals.conftest import Meals, build_meals
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.elders.models import AccessLog, Elder


@pytest.fixture
def meals(world: World) -> Meals:
    return build_meals(world)


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 120, 80)).save(out, "PNG")
    out.seek(0)
    out.name = "face.png"
    return out


def _put(client: Client, url: str, **fields: Any) -> Any:
    body = encode_multipart(BOUNDARY, fields)
    return client.put(url, body, content_type=MULTIPART_CONTENT)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _url(elder: Any) -> str:
    return f"/api/v1/elders/{elder.external_id}/photo/"


def test_a_worker_puts_fetches_and_deletes_the_photo(
    meals: Meals, client_for: Any, private_media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    url = _url(meals.old)
    assert worker.get(url).status_code == 404  # no photo yet
    put = _put(worker, url, photo=_png())
    assert (put.status_code, put.json()) == (200, {"photo": True})
    (stored,) = _files(private_media)
    assert stored.read_bytes().startswith(b"gAAAA")  # sealed, not an image
    history = AuditEvent.objects.filter(object_id=str(meals.old.external_id)).latest("id")
    assert history.changes == {"photo": [None, "***"]}
    before = AccessLog.objects.filter(fields=["photo"]).count()
    image = worker.get(url, HTTP_ACCEPT="image/jpeg")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")
    assert "no-store" in image["Cache-Control"]
    assert AccessLog.objects.filter(fields=["photo"]).count() == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        assert _put(worker, url, photo=_png()).status_code == 200  # replaced
    assert len(_files(private_media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert worker.delete(url).status_code == 204
    assert _files(private_media) == []
    assert not Elder.objects.get(pk=meals.old.pk).photo
    again = worker.delete(url)
    assert again.status_code == 400 and list(again.json()) == ["photo"]


def test_bad_images_are_a_400_on_photo_with_nothing_written(
    meals: Meals, client_for: Any, private_media: Path, settings: Any
) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    url = _url(meals.old)
    text = io.BytesIO(b"not an image")
    text.name = "face.png"
    bad = _put(worker, url, photo=text)
    assert bad.status_code == 400
    assert bad.json() == {"photo": ["文件不是 JPEG、PNG 或 WebP 图片。"]}
    missing = _put(worker, url, note="x")
    assert missing.status_code == 400 and list(missing.json()) == ["photo"]
    settings.ELDER_PHOTO_MAX_BYTES = 100
    big = _put(worker, url, photo=_png())
    assert big.status_code == 400 and list(big.json()) == ["photo"]
    assert "MB" in big.json()["photo"][0]
    assert _files(private_media) == []
    assert not Elder.objects.get(pk=meals.old.pk).photo


def test_the_photo_api_is_scoped_like_the_page(meals: Meals, client_for: Any) -> None:
    url = _url(meals.old)
    assert _put(client_for(Role.COMMUNITY_WORKER), url, photo=_png()).status_code == 200
    elsewhere = client_for("worker_YA1a")
    assert elsewhere.get(url).status_code == 404
    assert _put(elsewhere, url, photo=_png()).status_code == 404
    assert elsewhere.delete(url).status_code == 404
    assert client_for(Role.PROVIDER_MANAGER).get(url).status_code in (403, 404)
    assert client_for(Role.FAMILY).get(url).status_code in (403, 404)
    auditor = client_for(Role.AUDITOR)
    assert auditor.get(url).status_code == 200
    assert _put(auditor, url, photo=_png()).status_code == 403
    assert auditor.delete(url).status_code == 403
    assert Client().get(url).status_code in (401, 403)
    # An error stays JSON for a client that accepts only images.
    missing = elsewhere.get(url, HTTP_ACCEPT="image/jpeg")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert Elder.objects.get(pk=meals.old.pk).photo
