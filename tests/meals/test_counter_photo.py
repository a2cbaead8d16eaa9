"""The elder's photo at the counter: the staff see the photo of the elder they serve to
confirm who it is. Only an elder booked or served at their canteen today, or the elder
their counter just identified (the preview's grant); staff of another canteen, other roles,
a forged or borrowed grant get nothing. Each view is in the access log; never cached."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from tests.conftest import World, login
from tests.meals.conftest import Meals, build_meals
from yiyang.core.permissions import Role
from yiyang.elders.models import AccessLog
from yiyang.elders.photos import elder_photo_set
from yiyang.meals.services import meal_serve


@pytest.fixture
def meals(world: World) -> Meals:
    return build_meals(world)


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _with_photo(meals: Meals, elder: Any) -> Any:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 120, 80)).save(out, "PNG")
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    return elder_photo_set(actor=worker, elder=elder, data=out.getvalue())


def _url(canteen: Any, elder: Any) -> str:
    return f"/meals/counter/{canteen.external_id}/elders/{elder.external_id}/photo/"


def _photo_views(username: str) -> int:
    return AccessLog.objects.filter(fields=["photo"], actor_username=username).count()


def _preview(client: Client, meals: Meals, elder: Any) -> dict[str, Any]:
    body = {
        "canteen": str(meals.canteen.external_id),
        "meal": "lunch",
        "elder": str(elder.external_id),
    }
    response = client.post("/api/v1/meals/served/preview/", body, "application/json")
    assert response.status_code == 200, response.json()
    return dict(response.json())


def test_the_counter_shows_the_identified_elders_photo_with_a_grant(meals: Meals) -> None:
    elder = _with_photo(meals, meals.old)
    staff = login(Client(), meals.staff)
    # Not booked nor served here today, not identified: nothing.
    assert staff.get(_url(meals.canteen, elder)).status_code == 404
    photo = _preview(staff, meals, elder)["photo"]
    assert photo.startswith(_url(meals.canteen, elder) + "?grant=")
    before = _photo_views(meals.staff.username)
    image = staff.get(photo)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")
    assert "no-store" in image["Cache-Control"]
    assert _photo_views(meals.staff.username) == before + 1
    log = AccessLog.objects.filter(fields=["photo"]).latest("id")
    assert (log.actor_role, list(log.elders.all())) == (Role.PROVIDER_MANAGER, [elder])


def test_the_api_path_serves_the_same_scope_to_a_token_client(meals: Meals) -> None:
    elder = _with_photo(meals, meals.old)
    staff = login(Client(), meals.staff)
    grant = _preview(staff, meals, elder)["photo"].split("?grant=", 1)[1]
    api = f"/api/v1{_url(meals.canteen, elder).replace('/counter/', '/canteens/')}"
    assert api.startswith("/api/v1/meals/canteens/")
    assert staff.get(api).status_code == 404  # not booked, served, nor granted
    image = staff.get(f"{api}?grant={grant}", HTTP_ACCEPT="image/jpeg")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert "no-store" in image["Cache-Control"]
    other = login(Client(), meals.other_staff)
    assert other.get(f"{api}?grant={grant}").status_code == 404
    worker = login(Client(), meals.world.user[Role.COMMUNITY_WORKER])
    refused = worker.get(f"{api}?grant={grant}", HTTP_ACCEPT="image/jpeg")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/json"
    assert _photo_views(meals.staff.username) == 1


def test_an_elder_served_at_the_canteen_today_is_shown_without_a_grant(meals: Meals) -> None:
    elder = _with_photo(meals, meals.old)
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=elder, meal="lunch")
    staff = login(Client(), meals.staff)
    assert staff.get(_url(meals.canteen, elder)).status_code == 200
    # The other canteen's staff: not their canteen, and the elder is not served at theirs.
    other = login(Client(), meals.other_staff)
    assert other.get(_url(meals.canteen, elder)).status_code == 404
    assert other.get(_url(meals.other, elder)).status_code == 404
    assert _photo_views(meals.other_staff.username) == 0


def test_a_grant_is_bound_to_its_holder_canteen_and_elder(meals: Meals) -> None:
    elder = _with_photo(meals, meals.old)
    other_elder = _with_photo(meals, meals.young)
    staff = login(Client(), meals.staff)
    grant = _preview(staff, meals, elder)["photo"].split("?grant=", 1)[1]
    # Another elder with this grant, a forged grant, the grant at another canteen.
    assert staff.get(f"{_url(meals.canteen, other_elder)}?grant={grant}").status_code == 404
    assert staff.get(f"{_url(meals.canteen, elder)}?grant={grant[:-3]}abc").status_code == 404
    other = login(Client(), meals.other_staff)
    assert other.get(f"{_url(meals.other, elder)}?grant={grant}").status_code == 404
    assert other.get(f"{_url(meals.canteen, elder)}?grant={grant}").status_code == 404
    assert _photo_views(meals.other_staff.username) == 0


@pytest.mark.parametrize(
    "role", [Role.COMMUNITY_WORKER, Role.STREET_OFFICER, Role.FAMILY, Role.CAREGIVER]
)
def test_roles_that_record_no_meals_are_refused(meals: Meals, role: str) -> None:
    elder = _with_photo(meals, meals.old)
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=elder, meal="lunch")
    client = login(Client(), meals.world.user[role])
    assert client.get(_url(meals.canteen, elder)).status_code == 403


def test_no_photo_is_a_404_and_the_preview_says_null(meals: Meals) -> None:
    staff = login(Client(), meals.staff)
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.young, meal="lunch")
    assert _preview(staff, meals, meals.young)["photo"] is None
    assert staff.get(_url(meals.canteen, meals.young)).status_code == 404


def test_the_counter_page_script_shows_the_photo_in_the_preview(meals: Meals) -> None:
    page = login(Client(), meals.staff).get("/meals/counter/").content.decode()
    assert '"photo": "\\u7167\\u7247"' in page  # 照片, as json_script escapes it
