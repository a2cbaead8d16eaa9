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
from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.validation import required_text
from yiyang.workforce.models import Contest, ContestEntry, Person


def _city_only(actor: Actor, city: Division) -> None:
    """Contests are the city's: set up, given events and scored by city administrators."""
    require_perm(actor, Permission.MANAGE_TRAINING)
    if city.level != "city" or not actor.scope.covers_division_code(city.code):
        raise PermissionDenied("city")


def _event_names(names: Sequence[Any], taken: Sequence[str] = ()) -> list[str]:
    clean: list[str] = []
    for raw in names:
        name = required_text(raw, "events", _("An event needs a name."))
        if len(name) > 100:
            raise ValidationError({"events": _("An event's name is at most 100 characters.")})
        if name in clean or name in taken:
            raise ValidationError(
                {"events": _("The event %(name)s is listed twice.") % {"name": name}}
            )
        clean.append(name)
    return clean


@transaction.atomic
def contest_create(
    *,
    actor: Actor,
    city: Division,
    name: str,
    held_on: datetime.date,
    events: Sequence[Any] = (),
) -> Contest:
    """A contest of the city, with the events (赛项) it declares (more can be added)."""
    _city_only(actor, city)
    name = str(name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": _("Give the contest a name.")})
    contest = Contest.objects.create(
        city=city, name=name, held_on=held_on, events=_event_names(events)
    )
    audit_change(
        actor, AuditAction.CREATE, contest, {"events": contest.events}, division_code=city.code
    )
    return contest


@transaction.atomic
def contest_event_add(*, actor: Actor, contest: Contest, name: str) -> Contest:
    """Declare one more event of a contest (the city's)."""
    _city_only(actor, contest.city)
    contest = Contest.objects.select_for_update().get(pk=contest.pk)
    added = _event_names([name], contest.events)
    before = list(contest.events)
    contest.events = before + added
    contest.save(update_fields=["events", "updated_at"])
    audit_change(
        actor,
        AuditAction.UPDATE,
        contest,
        {"events": [before, contest.events]},
        division_code=contest.city.code,
    )
    return contest


@transaction.atomic
def contest_entry_add(
    *, actor: Actor, contest: Contest, event: str, person: Person
) -> ContestEntry:
    """A provider enters one of its current staff (officers anyone of their jurisdiction)
    in one event of the contest."""
    require_perm(actor, Permission.MANAGE_TRAINING)
    employments = person.employments.select_related("provider__division")
    mine = [
        e
        for e in employments
        if actor.scope.covers(division_code=e.provider.division.code, organisation_id=e.provider_id)
    ]
    if not mine:
        raise PermissionDenied("person")
    own = [e for e in mine if e.left_on is None]
    if not own:
        message = _("%(name)s no longer works for you: a provider enters its current staff.")
        raise ValidationError({"person": message % {"name": person.name}})
    event = str(event or "").strip()[:100]
    if not event:
        raise ValidationError({"event": _("Name the event.")})
    if contest.events and event not in contest.events:
        message = _("%(event)s is not an event of this contest; choose one of: %(events)s.")
        raise ValidationError(
            {"event": message % {"event": event, "events": "、".join(contest.events)}}
        )
    if contest.entries.filter(event=event, person=person).exists():
        raise ValidationError({"person": _("Already entered in this event.")})
    entry = ContestEntry.objects.create(
        contest=contest, event=event, person=person, provider=own[0].provider
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=entry,
        object_repr=f"{contest} · {event} · {person}",
    )
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
    *,
    actor: Actor,
    contest: Contest,
    event: str,
    scores: Mapping[Any, Any],
    awards: Sequence[str] = (),
) -> list[ContestEntry]:
    """The judges' scores of one event (by entry external id): ranks follow the scores (equal
    scores share a rank: 1, 1, 3), ``awards[i]`` goes to rank i + 1."""
    require_perm(actor, Permission.MANAGE_TRAINING)
    if not actor.scope.covers_division_code(contest.city.code):
        raise PermissionDenied("contest")
    if not scores:
        raise ValidationError({"scores": _("Give at least one entry's score.")})
    entries = {str(e.external_id): e for e in contest.entries.filter(event=event)}
    unknown = [str(key) for key in scores if str(key) not in entries]
    if unknown:
        raise ValidationError(
            {"scores": _("Not an entry of this event: %(ids)s.") % {"ids": ", ".join(unknown)}}
        )
    for key, value in scores.items():
        entries[str(key)].score = _score(value)
    scored = sorted(
        (e for e in entries.values() if e.score is not None),
        key=lambda e: e.score or Decimal(0),
        reverse=True,
    )
    for index, entry in enumerate(scored):
        previous = scored[index - 1] if index else None
        entry.rank = previous.rank if previous and previous.score == entry.score else index + 1
        rank = entry.rank or 0
        entry.award = awards[rank - 1][:50] if rank <= len(awards) else ""
    ContestEntry.objects.bulk_update(scored, ["score", "rank", "award"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=contest,
        changes={"scores": {event: len(scored)}},
    )
    return scored
