"""The rating workflow: apply, assign, score on site, review, publish, lower, suspend."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import World
from tests.supervision.conftest import FULL, D, entries, published, scored
from yiyang.core.permissions import Role
from yiyang.supervision import services
from yiyang.supervision.choices import RatingStatus
from yiyang.supervision.models import Rating, RatingEvent, RatingScheme

SCHEME = Path("yiyang/supervision/schemes/gbt37276-2018.json")


def test_the_national_scheme_is_loaded_and_marked_unverified(db: None) -> None:
    scheme = RatingScheme.objects.get(code="gbt37276", version="2018")
    assert scheme.unverified is True
    assert [p["max"] for p in scheme.parts] == ["120", "130", "150", "600"]
    assert sum(i.max_points for i in scheme.items.all()) == D(1000)
    assert [i.code for i in scheme.items.exclude(cap_level=None)] == ["F3", "M3"]


def test_a_full_score_publishes_five_stars_for_three_years(sup: World) -> None:
    rating = published(sup)
    assert (rating.status, rating.total, rating.level) == (RatingStatus.PUBLISHED, D(1000), 5)
    today = timezone.localdate()
    assert rating.valid_until == today.replace(year=today.year + 3) - datetime.timedelta(days=1)
    assert list(RatingEvent.objects.values_list("change", "level_after")) == [("published", 5)]


def test_the_fire_safety_veto_caps_the_level_at_none(sup: World) -> None:
    rating = published(sup, FULL | {"F3": 29})
    assert (rating.total, rating.level) == (D(999), 0)


def test_the_safety_management_item_caps_the_level_at_two(sup: World) -> None:
    rating = published(sup, FULL | {"M3": "35.5"})
    assert (rating.total, rating.level) == (D("975.5"), 2)


def test_a_score_above_the_maximum_or_without_evidence_is_refused_whole(sup: World) -> None:
    rating = scored(sup, {"E1": 10})
    evaluator = sup.user[Role.EVALUATOR]
    with pytest.raises(ValidationError) as error:
        services.rating_score(
            actor=evaluator, rating=rating, scores={"E1": {"points": 31}, "F3": {"points": 30}}
        )
    assert set(error.value.message_dict) == {"scores.E1", "scores.F3"}
    assert rating.scores.get().points == D(10)  # nothing written


def test_scoring_is_finished_only_when_every_item_has_a_score(sup: World) -> None:
    rating = scored(sup, {"E1": 10})
    with pytest.raises(ValidationError, match="Score every item"):
        services.rating_finish_scoring(actor=sup.user[Role.EVALUATOR], rating=rating)


def test_a_level_is_not_published_without_review(sup: World) -> None:
    rating = scored(sup)
    services.rating_finish_scoring(actor=sup.user[Role.EVALUATOR], rating=rating)
    with pytest.raises(ValidationError, match="after the district"):
        services.rating_publish(actor=sup.user[Role.CITY_ADMIN], rating=rating)
    assert Rating.objects.get().level is None


def test_only_the_assigned_evaluator_scores(sup: World) -> None:
    rating = scored(sup)
    from tests.factories import UserFactory

    other = UserFactory(username="eval2", role=Role.EVALUATOR, division=sup.div["X"])
    with pytest.raises(PermissionDenied):
        services.rating_score(actor=other, rating=rating, scores=entries({"E1": 1}))
    with pytest.raises(PermissionDenied):
        services.rating_score(
            actor=sup.user[Role.DISTRICT_OFFICER], rating=rating, scores=entries({"E1": 1})
        )


def test_lowering_and_suspending_record_the_reason(sup: World) -> None:
    rating = published(sup)
    admin = sup.user[Role.CITY_ADMIN]
    with pytest.raises(ValidationError, match="reason"):
        services.rating_change_level(actor=admin, rating=rating, reason="", level=3)
    services.rating_change_level(actor=admin, rating=rating, reason="消防检查不合格", level=3)
    services.rating_change_level(actor=admin, rating=rating, reason="发生重大事故")
    rating.refresh_from_db()
    assert rating.status == RatingStatus.SUSPENDED
    assert list(
        RatingEvent.objects.values_list("change", "level_before", "level_after", "reason")
    ) == [
        ("published", None, 5, ""),
        ("lowered", 5, 3, "消防检查不合格"),
        ("suspended", 3, None, "发生重大事故"),
    ]


def test_a_provider_applies_only_for_its_own_institution(sup: World) -> None:
    with pytest.raises(PermissionDenied):
        services.rating_apply(
            actor=sup.user[Role.PROVIDER_MANAGER],
            organisation=sup.org["institution_XA1a"],
            applied_level=3,
        )


def test_load_rating_scheme_refuses_a_scheme_that_does_not_add_up(db: None, tmp_path: Path) -> None:
    definition = json.loads(SCHEME.read_text(encoding="utf-8"))
    definition["version"] = "city-2027"
    definition["items"][0]["max"] = "31"
    path = tmp_path / "scheme.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        call_command("load-rating-scheme", str(path))
    assert exit_.value.code == 2
    assert not RatingScheme.objects.filter(version="city-2027").exists()
    definition["items"][0]["max"] = "30"
    path.write_text(json.dumps(definition), encoding="utf-8")
    call_command("load-rating-scheme", str(path))
    active = RatingScheme.objects.filter(code="gbt37276", is_active=True).get()
    assert active.version == "city-2027"
