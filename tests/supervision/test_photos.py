"""Evidence photos: taken while scoring, inspecting and rectifying, stored re-encoded,
refused whole when bad, served only to those who may see the record."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import World, login
from tests.factories import UserFactory
from tests.supervision.conftest import jpeg, scored
from tests.supervision.test_inspections import ANSWERS, _inspection
from yiyang.core.permissions import Role
from yiyang.supervision import services
from yiyang.supervision.models import EvidencePhoto, ItemScore


def test_photos_taken_while_scoring_are_stored_and_count_as_evidence(sup: World) -> None:
    rating = scored(sup, {"E1": 10})
    evaluator = sup.user[Role.EVALUATOR]
    # E2 needs evidence: two photos and no note are enough.
    services.rating_score(
        actor=evaluator, rating=rating, scores={"E2": {"points": 35, "photos": [jpeg(), jpeg()]}}
    )
    score = ItemScore.objects.get(rating=rating, item__code="E2")
    assert score.photos == 2 and score.photo_files.count() == 2
    photo = score.photo_files.first()
    assert (photo.width, photo.height, photo.uploaded_by) == (64, 48, evaluator)
    assert photo.image.read()[:2] == b"\xff\xd8"  # stored as JPEG
    # Scored again without new photos: the stored ones still count.
    services.rating_score(actor=evaluator, rating=rating, scores={"E2": {"points": 36}})
    assert ItemScore.objects.get(pk=score.pk).photos == 2


def test_a_bad_photo_or_too_many_refuse_the_whole_save(sup: World) -> None:
    rating = scored(sup, {"E1": 10})
    evaluator = sup.user[Role.EVALUATOR]
    with pytest.raises(ValidationError) as error:
        services.rating_score(
            actor=evaluator,
            rating=rating,
            scores={"E1": {"points": 20}, "E3": {"points": 5, "photos": [b"not an image"]}},
        )
    assert set(error.value.message_dict) == {"scores.E3"}
    with pytest.raises(ValidationError, match="at most 10"):
        services.rating_score(
            actor=evaluator, rating=rating, scores={"E3": {"points": 5, "photos": [jpeg()] * 11}}
        )
    assert ItemScore.objects.get(rating=rating).points == 10  # E1 unchanged
    assert not EvidencePhoto.objects.exists()


def test_photos_are_served_only_within_the_records_scope(sup: World) -> None:
    rating = scored(sup, {"E1": 10})
    services.rating_score(
        actor=sup.user[Role.EVALUATOR],
        rating=rating,
        scores={"E2": {"points": 35, "photos": [jpeg()]}},
    )
    photo = EvidencePhoto.objects.get()
    url = f"/supervision/photos/{photo.external_id}/"
    for user in (
        sup.user[Role.EVALUATOR],
        sup.user[Role.DISTRICT_OFFICER],
        sup.user["manager_inst"],
    ):
        response = login(Client(), user).get(url)
        assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg"), user
    other_evaluator = UserFactory(username="evaluator2", role=Role.EVALUATOR, division=sup.div["X"])
    for user in (other_evaluator, sup.user["admin_Y"], sup.user[Role.PROVIDER_MANAGER]):
        assert login(Client(), user).get(url).status_code == 404, user
    assert Client().get(url).status_code == 302  # to the login page
    # The rating page links the photo.
    page = login(Client(), sup.user[Role.DISTRICT_OFFICER]).get(
        f"/supervision/ratings/{rating.external_id}/"
    )
    assert url in page.content.decode()


def test_inspection_and_rectification_photos_from_the_tablet_form(sup: World) -> None:
    inspection = _inspection(sup)
    officer = login(Client(), sup.user[Role.STREET_OFFICER])
    form = {f"item_{code}": "yes" if ok else "no" for code, ok in ANSWERS.items()}
    form |= {"severity": "major", "finding": "烟感失效", "lat": "34.75", "lng": "113.65"}
    form["photos"] = [SimpleUploadedFile(f"p{n}.jpg", jpeg(), "image/jpeg") for n in range(2)]
    response = officer.post(f"/supervision/inspections/{inspection.external_id}/", form)
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert (inspection.status, inspection.photos) == ("done", 2)
    assert EvidencePhoto.objects.filter(inspection=inspection).count() == 2
    order = inspection.findings.get().rectification
    manager = login(Client(), sup.user["manager_inst"])
    url = f"/supervision/rectifications/{order.external_id}/"
    manager.post(
        url,
        {
            "step": "respond",
            "response": "已更换",
            "evidence": SimpleUploadedFile("e.jpg", b"junk", "image/jpeg"),
        },
    )
    order.refresh_from_db()
    assert order.status == "open" and not order.photo_files.exists()
    manager.post(
        url,
        {
            "step": "respond",
            "response": "已更换",
            "evidence": SimpleUploadedFile("e.jpg", jpeg(), "image/jpeg"),
        },
    )
    order.refresh_from_db()
    assert (order.status, order.evidence) == ("responded", 1)
    listing = officer.get("/supervision/inspections/").content.decode()
    for photo in EvidencePhoto.objects.all():
        assert f"/supervision/photos/{photo.external_id}/" in listing
