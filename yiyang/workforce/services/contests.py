"""Skills contests (职业技能大赛): a contest with events, entrants from providers, judges'
scores, ranks and awards recorded on the people."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.workforce.models import Contest, ContestEntry, Person


@transaction.atomic
def contest_create(*, actor: Actor, city: Division, name: str, held_on: datetime.date) -> Contest:
    require_perm(actor, Permission.MANAGE_TRAINING)
    if city.level != "city" or not actor.scope.covers_division_code(city.code):
        raise PermissionDenied("city")
    name = str(name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": _("Give the contest a name.")})
    contest = Contest.objects.create(city=city, name=name, held_on=held_on)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=contest, division_code=city.code)
    return contest


@transaction.atomic
def contest_entry_add(
    *, actor: Actor, contest: Contest, event: str, person: Person
) -> ContestEntry:
    """A provider enters one of its staff (officers anyone of their jurisdiction)."""
    require_perm(actor, Permission.MANAGE_TRAINING)
    employments = person.employments.filter(left_on__isnull=True).select_related(
        "provider__division"
    )
    own = [
        e for e in employments
        if actor.scope.covers(division_code=e.provider.division.code, organisation_id=e.provider_id)
    ]  # fmt: skip
    if not own:
        raise PermissionDenied("person")
    event = str(event or "").strip()[:100]
    if not event:
        raise ValidationError({"event": _("Name the event.")})
    if contest.entries.filter(event=event, person=person).exists():
        raise ValidationError({"person": _("Already entered in this event.")})
    entry = ContestEntry.objects.create(
        contest=contest, event=event, person=person, provider=own[0].provider
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=entry,
                 object_repr=f"{contest} · {event} · {person}")  # fmt: skip
    return entry


def _score(value: Any) -> Decimal:
    try:
        score = Decimal(str(value)).quantize(Decimal("0.01"))
        if not score.is_finite() or not Decimal(0) <= score <= Decimal(1000):
            raise ValueError
    except (InvalidOperation, ValueError):
        raise ValidationError({"score": _("A score is a number from 0 to 1,000.")}) from None
    return score


@transaction.atomic
def contest_scores_record(
    *, actor: Actor, contest: Contest, event: str, scores: Mapping[Any, Any],
    awards: Sequence[str] = (),
) -> list[ContestEntry]:  # fmt: skip
    """The judges' scores of one event (by entry external id): ranks follow the scores (equal
    scores share a rank: 1, 1, 3), ``awards[i]`` goes to rank i + 1."""
    require_perm(actor, Permission.MANAGE_TRAINING)
    if not actor.scope.covers_division_code(contest.city.code):
        raise PermissionDenied("contest")
    entries = {str(e.external_id): e for e in contest.entries.filter(event=event)}
    unknown = [str(key) for key in scores if str(key) not in entries]
    if unknown:
        raise ValidationError({"scores": _("Not an entry of this event: %(ids)s.")
                               % {"ids": ", ".join(unknown)}})  # fmt: skip
    for key, value in scores.items():
        entries[str(key)].score = _score(value)
    scored = sorted((e for e in entries.values() if e.score is not None),
                    key=lambda e: e.score, reverse=True)  # type: ignore[arg-type,return-value]  # fmt: skip
    for index, entry in enumerate(scored):
        previous = scored[index - 1] if index else None
        entry.rank = previous.rank if previous and previous.score == entry.score else index + 1
        rank = entry.rank or 0
        entry.award = awards[rank - 1][:50] if rank <= len(awards) else ""
    ContestEntry.objects.bulk_update(scored, ["score", "rank", "award"])
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=contest,
                 changes={"scores": {event: len(scored)}})  # fmt: skip
    return scored
