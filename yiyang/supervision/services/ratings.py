"""Star ratings: schemes loaded as data, the institution's application, the evaluator's
scores, review by the district and the city, publication with validity, lowering and
suspension with a reason. Every figure comes from ``scoring.compute_level``."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core import safejson
from yiyang.core.choices import AuditAction
from yiyang.core.images import Photo
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.organisations.models import Organisation
from yiyang.supervision.choices import RATING_NEXT, RatingChange, RatingStatus
from yiyang.supervision.models import ItemScore, Rating, RatingEvent, RatingItem, RatingScheme
from yiyang.supervision.scoring import LevelResult, compute_level
from yiyang.supervision.selectors import active_scheme, scheme_rules
from yiyang.supervision.services.common import (
    audit,
    require_area_evaluator,
    require_in_scope,
    require_step,
)
from yiyang.supervision.services.photos import photos_checked, photos_store


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _scheme_errors(definition: Any) -> dict[str, str]:
    if not isinstance(definition, dict):
        return {"file": _("The scheme is not a JSON object.")}
    errors: dict[str, str] = {}
    for key in ("code", "version", "name", "source", "parts", "levels", "items"):
        if not definition.get(key):
            errors[key] = _("This part of the scheme is missing.")
    if errors:
        return errors
    parts = {str(p.get("code")): _decimal(p.get("max")) for p in definition["parts"]}
    if any(v is None or v <= 0 for v in parts.values()):
        errors["parts"] = _("Every part needs a positive maximum.")
        return errors
    maxima = {part: value or Decimal(0) for part, value in parts.items()}
    sums = dict.fromkeys(parts, Decimal(0))
    for index, item in enumerate(definition["items"]):
        points = _decimal(item.get("max"))
        if item.get("part") not in parts or points is None or points <= 0 or not item.get("code"):
            errors[f"items[{index}]"] = _(
                "An item needs a code, a known part and a positive maximum."
            )
            continue
        sums[item["part"]] += points
        cap_below = item.get("cap_below")
        if (item.get("cap_level") is None) != (cap_below is None):
            errors[f"items[{index}]"] = _(
                "A capping item needs both the level it caps at and the score below which it caps."
            )
        elif cap_below is not None and not (Decimal(0) < (_decimal(cap_below) or 0) <= points):
            errors[f"items[{index}]"] = _(
                "The capping score must lie above 0 and at most the item's maximum."
            )
    for part, total in sums.items():
        if total != parts[part]:
            errors[f"parts.{part}"] = _(
                "The items add up to %(total)s; the part's maximum is %(max)s."
            ) % {
                "total": total,
                "max": parts[part],
            }
    levels = [int(level.get("level", 0)) for level in definition["levels"]]
    if sorted(levels) != list(range(1, len(levels) + 1)):
        errors["levels"] = _("The levels must be 1 to N, each once.")
    minima = [_decimal(level.get("min_total")) for level in definition["levels"]]
    if any(m is None or m > sum(maxima.values()) for m in minima):
        errors["levels"] = _("Every level's minimum total must lie within the scheme's total.")
    return errors


@transaction.atomic
def rating_scheme_load(*, definition: Any, activate: bool = True) -> RatingScheme:
    """Store a rating scheme (the JSON format of ``schemes/gbt37276-2018.json``), checked
    first: parts add up, levels 1..N, capping items well formed. Nothing is written when
    anything is wrong."""
    errors = _scheme_errors(definition)
    if errors:
        raise ValidationError(errors)
    existing = RatingScheme.objects.filter(
        code=definition["code"], version=str(definition["version"])
    ).first()
    if existing is not None:
        return existing
    if activate:
        RatingScheme.objects.filter(code=definition["code"]).update(is_active=False)
    scheme = RatingScheme.objects.create(
        code=definition["code"],
        version=str(definition["version"]),
        name=definition["name"],
        source=str(definition["source"])[:500],
        unverified=bool(definition.get("unverified")),
        is_active=activate,
        organisation_kinds=list(definition.get("organisation_kinds", [])),
        parts=definition["parts"],
        levels=definition["levels"],
    )
    RatingItem.objects.bulk_create(
        RatingItem(
            scheme=scheme,
            part=i["part"],
            code=i["code"],
            text=i.get("text", i["code"]),
            max_points=Decimal(str(i["max"])),
            evidence_required=bool(i.get("evidence_required")),
            cap_level=i.get("cap_level"),
            cap_below=_decimal(i["cap_below"]) if i.get("cap_below") is not None else None,
            unverified=bool(i.get("unverified", definition.get("unverified"))),
            source=str(i.get("source") or "")[:300],
            order=n,
        )
        for n, i in enumerate(definition["items"])
    )
    return scheme


@transaction.atomic
def rating_scheme_upload(*, actor: Actor, data: bytes) -> RatingScheme:
    """The city loads its own scheme (or a later edition) from the schemes page: the same
    checks as ``yiyang load-rating-scheme``; the new edition is used for new applications,
    ratings in progress keep theirs."""
    require_perm(actor, Permission.PUBLISH_RATINGS)
    try:
        # Depth-bounded: a file nested thousands of levels deep is refused, never a 500.
        definition = safejson.loads(data.decode("utf-8"))
    except safejson.JSONTooDeepError as exc:
        raise ValidationError(
            {
                "file": _("The file nests more than %(n)s levels deep; a scheme needs far fewer.")
                % {"n": safejson.max_depth_setting()}
            }
        ) from exc
    except (UnicodeDecodeError, safejson.JSONError) as exc:
        raise ValidationError({"file": _("The file is not JSON text in UTF-8.")}) from exc
    scheme = rating_scheme_load(definition=definition, activate=True)
    audit(
        actor,
        AuditAction.CREATE,
        scheme,
        actor.scope.division_prefix or "",
        {"scheme": [None, f"{scheme.code} {scheme.version}"]},
    )
    return scheme


def rating_actions(rating: Rating) -> tuple[str, ...]:
    """The statuses a rating may move to now (buttons on the page, guard in the service)."""
    return RATING_NEXT.get(rating.status, ())


def _move(rating: Rating, status: str) -> None:
    refusal = _("This rating is %(status)s: that step is not open.")
    require_step(rating, status, rating_actions(rating), refusal)


def _save(actor: Actor, rating: Rating, before: str, fields: list[str], **extra: Any) -> Rating:
    rating.save(update_fields=[*fields, "status", "updated_at"])
    audit(
        actor,
        AuditAction.UPDATE,
        rating,
        rating.division_code,
        {"status": [before, rating.status], **extra},
    )
    return rating


@transaction.atomic
def rating_apply(
    *,
    actor: Actor,
    organisation: Organisation,
    applied_level: Any,
    self_assessment: dict[str, Any] | None = None,
) -> Rating:
    """An institution applies for a level, with its self-assessment (item code -> points)."""
    require_perm(actor, Permission.APPLY_RATINGS)
    require_in_scope(
        actor, division_code=organisation.division.code, organisation_id=organisation.pk
    )
    scheme = active_scheme(organisation.kind)
    errors: dict[str, str] = {}
    if scheme is None:
        raise ValidationError({"organisation": _("No rating scheme covers this kind.")})
    levels = [int(t["level"]) for t in scheme.levels]
    try:
        level = int(applied_level)
    except (TypeError, ValueError):
        level = 0
    if level not in levels:
        errors["applied_level"] = _("Choose a level the scheme has.")
    if (
        Rating.objects.filter(organisation=organisation)
        .exclude(status__in=[RatingStatus.PUBLISHED, RatingStatus.SUSPENDED, RatingStatus.REJECTED])
        .exists()
    ):
        errors["organisation"] = _("This institution already has an application in progress.")
    scores = _checked_points(scheme, self_assessment or {}, errors, "self_assessment")
    if errors:
        raise ValidationError(errors)
    rating = Rating.objects.create(
        organisation=organisation,
        division_code=organisation.division.code,
        scheme=scheme,
        status=RatingStatus.SUBMITTED,
        applied_level=level,
        self_assessment={k: str(v) for k, v in scores.items()},
    )
    audit(actor, AuditAction.CREATE, rating, rating.division_code, {"applied_level": [None, level]})
    return rating


def _checked_points(
    scheme: RatingScheme, points: dict[str, Any], errors: dict[str, str], field: str
) -> dict[str, Decimal]:
    items = {i.code: i for i in scheme.items.all()}
    checked: dict[str, Decimal] = {}
    for code, value in points.items():
        item = items.get(str(code))
        number = _decimal(value)
        if item is None:
            errors[f"{field}.{code}"] = _("No such item in the scheme.")
        elif number is None or number < 0 or number > item.max_points:
            errors[f"{field}.{code}"] = _("Give 0 to %(max)s points.") % {"max": item.max_points}
        else:
            checked[item.code] = number
    return checked


@transaction.atomic
def rating_assign(*, actor: Actor, rating: Rating, evaluator: Any) -> Rating:
    """Assign a third-party evaluator (an evaluator login of the actor's jurisdiction)."""
    require_perm(actor, Permission.ASSIGN_EVALUATORS)
    require_in_scope(actor, division_code=rating.division_code, organisation_id=None)
    require_area_evaluator(evaluator, rating.division_code)
    before = rating.status
    if rating.status != RatingStatus.SCORING:
        _move(rating, RatingStatus.SCORING)
    rating.status = RatingStatus.SCORING
    rating.evaluator = evaluator
    return _save(actor, rating, before, ["evaluator"], evaluator=[None, evaluator.username])


def _require_evaluator(actor: Actor, rating: Rating) -> None:
    require_perm(actor, Permission.SCORE_RATINGS)
    if rating.evaluator_id is None or rating.evaluator_id != actor.pk:
        raise PermissionDenied("rating")
    if rating.status != RatingStatus.SCORING:
        raise ValidationError({"status": _("This rating is not open for scoring.")})


@transaction.atomic
def rating_score(*, actor: Actor, rating: Rating, scores: dict[str, dict[str, Any]]) -> LevelResult:
    """Record the evaluator's scores (item code -> {points, note, photos}), ``photos`` being
    the files taken on site (bytes), stored with the score. A score above the item's
    maximum, without the evidence the item requires (a photo, stored or new, or a note) or
    with a bad photo is refused whole: nothing is written."""
    _require_evaluator(actor, rating)
    errors: dict[str, str] = {}
    points = _checked_points(
        rating.scheme, {k: v.get("points") for k, v in scores.items()}, errors, "scores"
    )
    items = {i.code: i for i in rating.scheme.items.all()}
    stored = {s.item.code: s for s in rating.scores.select_related("item")}
    photos: dict[str, list[Photo]] = {}
    for code, entry in scores.items():
        item = items.get(code)
        have = stored[code].photos if code in stored else 0
        try:
            photos[code] = photos_checked(
                list(entry.get("photos") or []), field=f"scores.{code}", have=have
            )
        except ValidationError as error:
            errors.update({k: " ".join(v) for k, v in error.message_dict.items()})
            continue
        note = str(entry.get("note") or "").strip()
        if item is not None and item.evidence_required and not (have + len(photos[code]) or note):
            errors[f"scores.{code}"] = _("This item needs evidence: a photo or a note.")
    if errors:
        raise ValidationError(errors)
    for code, value in points.items():
        entry = scores[code]
        score, _created = ItemScore.objects.update_or_create(
            rating=rating,
            item=items[code],
            defaults={"points": value, "note": str(entry.get("note") or "")[:1000]},
        )
        if photos[code]:
            photos_store(
                photos[code],
                actor=actor,
                organisation_id=rating.organisation_id,
                division_code=rating.division_code,
                item_score=score,
            )
            score.photos = score.photo_files.count()
            score.save(update_fields=["photos"])
    result = rating_result(rating)
    rating.total, rating.computed_level = result.total, result.level
    rating.save(update_fields=["total", "computed_level", "updated_at"])
    audit(
        actor,
        AuditAction.UPDATE,
        rating,
        rating.division_code,
        {
            "scores": [None, {k: str(v) for k, v in points.items()}],
            "photos": [None, sum(len(p) for p in photos.values())],
        },
    )
    return result


def rating_result(rating: Rating) -> LevelResult:
    items, thresholds, part_max = scheme_rules(rating.scheme)
    scores = {s.item.code: s.points for s in rating.scores.select_related("item")}
    return compute_level(items=items, thresholds=thresholds, part_max=part_max, scores=scores)


@transaction.atomic
def rating_finish_scoring(*, actor: Actor, rating: Rating) -> Rating:
    _require_evaluator(actor, rating)
    result = rating_result(rating)
    if not result.complete:
        raise ValidationError(
            {
                "scores": _("Score every item first: %(items)s.")
                % {"items": ", ".join(result.missing)}
            }
        )
    before = rating.status
    _move(rating, RatingStatus.SCORED)
    rating.status = RatingStatus.SCORED
    rating.total, rating.computed_level = result.total, result.level
    return _save(actor, rating, before, ["total", "computed_level"])


@transaction.atomic
def rating_review(*, actor: Actor, rating: Rating, approve: bool, note: str = "") -> Rating:
    """The district's review: approve (to the city) or return to the evaluator."""
    require_perm(actor, Permission.REVIEW_RATINGS)
    require_in_scope(actor, division_code=rating.division_code, organisation_id=None)
    before = rating.status
    target = RatingStatus.DISTRICT_REVIEWED if approve else RatingStatus.SCORING
    if rating.status != RatingStatus.SCORED:
        raise ValidationError({"status": _("Only a scored rating can be reviewed.")})
    rating.status = target
    rating.district_reviewed_by = actor_user(actor) if approve else None
    return _save(actor, rating, before, ["district_reviewed_by"], note=[None, note[:200]])


@transaction.atomic
def rating_publish(*, actor: Actor, rating: Rating, on: datetime.date | None = None) -> Rating:
    """The city publishes the level computed from the scores, valid for
    SUPERVISION_RATING_VALID_YEARS; the institution's earlier published rating ends."""
    require_perm(actor, Permission.PUBLISH_RATINGS)
    require_in_scope(actor, division_code=rating.division_code, organisation_id=None)
    if rating.status != RatingStatus.DISTRICT_REVIEWED:
        raise ValidationError(
            {"status": _("A level is published only after the district's review.")}
        )
    result = rating_result(rating)
    day = on or timezone.localdate()
    before = rating.status
    Rating.objects.filter(
        organisation_id=rating.organisation_id, status=RatingStatus.PUBLISHED
    ).update(status=RatingStatus.SUSPENDED)
    rating.status = RatingStatus.PUBLISHED
    rating.total, rating.computed_level, rating.level = result.total, result.level, result.level
    rating.published_on = day
    years = settings.SUPERVISION_RATING_VALID_YEARS
    rating.valid_until = (
        day.replace(year=day.year + years) - datetime.timedelta(days=1)
        if not (day.month == 2 and day.day == 29)
        else datetime.date(day.year + years, 2, 28)
    )
    rating.published_by = actor_user(actor)
    RatingEvent.objects.create(
        rating=rating,
        change=RatingChange.PUBLISHED,
        level_before=None,
        level_after=result.level,
        actor=actor_user(actor),
    )
    return _save(
        actor,
        rating,
        before,
        ["total", "computed_level", "level", "published_on", "valid_until", "published_by"],
        level=[None, result.level],
    )


@transaction.atomic
def rating_change_level(
    *, actor: Actor, rating: Rating, reason: str, level: int | None = None
) -> Rating:
    """Lower a published level (``level`` below the current one) or suspend it (``level``
    None), after a serious incident or a failed inspection; the reason is recorded."""
    require_perm(actor, Permission.PUBLISH_RATINGS)
    require_in_scope(actor, division_code=rating.division_code, organisation_id=None)
    reason = str(reason or "").strip()
    errors: dict[str, str] = {}
    if rating.status != RatingStatus.PUBLISHED:
        errors["status"] = _("Only a published level can be lowered or suspended.")
    if not reason:
        errors["reason"] = _("Give the reason.")
    if level is not None and not (0 < int(level) < (rating.level or 0)):
        errors["level"] = _("A lowered level must lie below the current one.")
    if errors:
        raise ValidationError(errors)
    before_level, before = rating.level, rating.status
    change = RatingChange.LOWERED if level is not None else RatingChange.SUSPENDED
    if level is None:
        rating.status = RatingStatus.SUSPENDED
    else:
        rating.level = int(level)
    RatingEvent.objects.create(
        rating=rating,
        change=change,
        level_before=before_level,
        level_after=rating.level if level is not None else None,
        reason=reason[:1000],
        actor=actor_user(actor),
    )
    return _save(
        actor,
        rating,
        before,
        ["level"],
        level=[before_level, rating.level],
        reason=[None, reason[:200]],
    )
