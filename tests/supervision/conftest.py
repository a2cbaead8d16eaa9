"""An institution with its manager, an evaluator, and helpers to take a rating through."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from tests.conftest import World
from tests.factories import UserFactory
from yiyang.core.permissions import Role
from yiyang.supervision import services
from yiyang.supervision.models import Rating

FULL = {
    "E1": 30,
    "E2": 40,
    "E3": 50,
    "F1": 50,
    "F2": 50,
    "F3": 30,
    "M1": 40,
    "M2": 50,
    "M3": 60,
    "S1": 200,
    "S2": 100,
    "S3": 150,
    "S4": 100,
    "S5": 50,
}
EVIDENCE = {"E2", "F3", "M1", "M3"}


def entries(points: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Scores with the evidence the scheme asks for (a note; photos are tested apart)."""
    return {
        code: {"points": value, "note": "现场核查" if code in EVIDENCE else ""}
        for code, value in points.items()
    }


def jpeg(colour: tuple[int, int, int] = (90, 140, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def sup(world: World, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    institution = world.org["institution_XA1a"]
    world.user["manager_inst"] = UserFactory(
        username="manager_inst", role=Role.PROVIDER_MANAGER, organisation=institution
    )
    return world


def scored(world: World, points: dict[str, Any] | None = None) -> Rating:
    """A rating applied for, assigned and scored (not yet finished)."""
    rating = services.rating_apply(
        actor=world.user["manager_inst"],
        organisation=world.org["institution_XA1a"],
        applied_level=4,
        self_assessment={"E1": 28},
    )
    rating = services.rating_assign(
        actor=world.user[Role.DISTRICT_OFFICER],
        rating=rating,
        evaluator=world.user[Role.EVALUATOR],
    )
    services.rating_score(
        actor=world.user[Role.EVALUATOR], rating=rating, scores=entries(points or FULL)
    )
    return rating


def published(world: World, points: dict[str, Any] | None = None) -> Rating:
    rating = scored(world, points)
    services.rating_finish_scoring(actor=world.user[Role.EVALUATOR], rating=rating)
    services.rating_review(actor=world.user[Role.DISTRICT_OFFICER], rating=rating, approve=True)
    return services.rating_publish(actor=world.user[Role.CITY_ADMIN], rating=rating)


D = Decimal
