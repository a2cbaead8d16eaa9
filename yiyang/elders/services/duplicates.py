"""Possible duplicates: found on every write, reviewed by a person, never merged."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.elders.choices import DuplicateStatus, ElderStatus
from yiyang.elders.models import DuplicateCandidate, Elder
from yiyang.elders.services.common import _history
from yiyang.elders.services.records import _text


def near_duplicates_find(elders: Sequence[Elder]) -> list[DuplicateCandidate]:
    """Record (never merge) pairs with the same name and birth date in the same community
    and a different ID number. Returns the new candidates."""
    if not elders:
        return []
    keys = {e.duplicate_key for e in elders}
    others = (
        Elder.objects.filter(duplicate_key__in=keys)
        .exclude(status=ElderStatus.DUPLICATE)
        .values_list("id", "duplicate_key", "division_code")
    )  # plain values: an import asks for thousands at once
    by_key: dict[str, list[tuple[int, str]]] = {}
    for pk, key, code in others:
        by_key.setdefault(key, []).append((pk, code))
    found: dict[frozenset[int], DuplicateCandidate] = {}
    for elder in elders:
        for other_pk, other_code in by_key.get(elder.duplicate_key, []):
            pair = frozenset({elder.pk, other_pk})
            if other_pk == elder.pk or pair in found:
                continue
            # The later record is the one to review, in its own community.
            if elder.pk > other_pk:
                later, earlier, code = elder.pk, other_pk, elder.division_code
            else:
                later, earlier, code = other_pk, elder.pk, other_code
            found[pair] = DuplicateCandidate(elder_id=later, other_id=earlier, division_code=code)
    return DuplicateCandidate.objects.bulk_create(list(found.values()), ignore_conflicts=True)


@transaction.atomic
def duplicate_review(
    *, actor: Actor, candidate: DuplicateCandidate, status: str, note: str = ""
) -> DuplicateCandidate:
    """Decide a possible duplicate. "Same person" marks the newer record as a duplicate of
    the older one (kept, out of lists, its history intact); nothing is deleted."""
    require_perm(actor, Permission.REVIEW_DUPLICATES)
    for elder in (candidate.elder, candidate.other):
        if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
            raise ValidationError(_("This record lies outside your jurisdiction."))
    if status not in (DuplicateStatus.DIFFERENT_PEOPLE, DuplicateStatus.SAME_PERSON):
        raise ValidationError({"status": _("Say whether these are the same person.")})
    if candidate.status != DuplicateStatus.OPEN:
        raise ValidationError(_("This pair was already reviewed."))
    candidate.status = status
    candidate.note = _text(note)[:200]
    candidate.reviewed_by = actor_user(actor)
    candidate.reviewed_at = timezone.now()
    candidate.save()
    if status == DuplicateStatus.SAME_PERSON:
        newer = candidate.elder
        before = newer.status
        newer.status = ElderStatus.DUPLICATE
        newer.duplicate_of = candidate.other
        newer.status_changed_on = timezone.localdate()
        newer.save(update_fields=["status", "duplicate_of", "status_changed_on", "updated_at"])
        _history(
            actor,
            newer,
            AuditAction.UPDATE,
            {
                "status": [before, ElderStatus.DUPLICATE],
                "duplicate_of": [None, str(candidate.other.external_id)],
            },
        )
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW,
        obj=candidate,
        division_code=candidate.division_code,
        changes={"status": [DuplicateStatus.OPEN, status]},
    )
    return candidate
