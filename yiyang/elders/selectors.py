"""Reads of the elder registry, each scoped to the actor's jurisdiction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Exists, F, Model, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from yiyang.core.filtering import filtered
from yiyang.core.lookups import get_or_404
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.elders.choices import ConsentPurpose, DuplicateStatus, ElderStatus, LocationSource
from yiyang.elders.filtersets import AccessLogFilterSet, ElderFilterSet
from yiyang.elders.models import (
    AccessLog,
    AccessLogEntry,
    AddressPoint,
    Consent,
    DuplicateCandidate,
    Elder,
    ElderContact,
    FamilyMember,
    ImportJob,
)

ELDER_OBJECT_TYPE = "elders.elder"
M = TypeVar("M", bound=Model)


def elder_queryset(*, actor: Actor) -> QuerySet[Elder]:
    """Every elder in the actor's jurisdiction (no permission check)."""
    return actor.scope.apply(Elder.objects.all(), division_code_field="division_code")


def elder_scoped(*, actor: Actor) -> QuerySet[Elder]:
    """Elders the actor may see, before filters (the API's filter backend applies them)."""
    require_perm(actor, Permission.VIEW_ELDERS)
    return elder_queryset(actor=actor).select_related("community")


def elder_list(*, actor: Actor, filters: Any = None) -> QuerySet[Elder]:
    """Elders the actor may see, filtered by :class:`ElderFilterSet` parameters. Records
    marked duplicate are left out unless a status filter asks for them."""
    return ElderFilterSet(filters or {}, queryset=elder_scoped(actor=actor)).qs


def elder_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Elder:
    """One elder in the actor's scope, or 404 (also for malformed ids)."""
    require_perm(actor, Permission.VIEW_ELDERS)
    queryset = elder_queryset(actor=actor).select_related(
        "community__parent__parent__parent", "duplicate_of"
    )
    return _get_or_404(queryset, external_id)


def _get_or_404(queryset: QuerySet[M], external_id: uuid.UUID | str) -> M:
    """The record with this external id, or 404 (also for a malformed id)."""
    return get_or_404(queryset, external_id=external_id)


def elder_contacts(*, elder: Elder) -> QuerySet[ElderContact]:
    return elder.contacts.filter(is_active=True)


def elder_contact_get(*, actor: Actor, elder: Elder, external_id: uuid.UUID | str) -> ElderContact:
    return _get_or_404(elder.contacts.filter(is_active=True), external_id)


def elder_consents(*, elder: Elder) -> QuerySet[Consent]:
    return elder.consents.select_related("recorded_by", "withdrawn_by")


def elder_consent_get(*, elder: Elder, external_id: uuid.UUID | str) -> Consent:
    return _get_or_404(elder.consents.all(), external_id)


def elder_history(*, actor: Actor, elder: Elder) -> QuerySet[AuditEvent]:
    """Every change of the record, newest first (sensitive values masked)."""
    require_perm(actor, Permission.VIEW_ELDERS)
    return AuditEvent.objects.filter(
        object_type=ELDER_OBJECT_TYPE, object_id=str(elder.external_id)
    )


def duplicate_list(
    *, actor: Actor, status: str | None = DuplicateStatus.OPEN
) -> QuerySet[DuplicateCandidate]:
    require_perm(actor, Permission.REVIEW_DUPLICATES)
    queryset = actor.scope.apply(
        DuplicateCandidate.objects.select_related("elder__community", "other__community"),
        division_code_field="division_code",
    )
    return queryset.filter(status=status) if status else queryset


def duplicate_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> DuplicateCandidate:
    return _get_or_404(duplicate_list(actor=actor, status=None), external_id)


# What an access-log record shows, in the API and in the CSV export, in this order.
ACCESS_LOG_COLUMNS = (
    "id",
    "at",
    "username",
    "role",
    "action",
    "fields",
    "elder_count",
    "ip_address",
    "user_agent",
)


def access_log_list(*, actor: Actor, filters: Any = None) -> QuerySet[AccessLog]:
    """Unmasked views and exports that touched elders in the actor's jurisdiction."""
    require_perm(actor, Permission.VIEW_ACCESS_LOG)
    prefix = actor.scope.division_prefix
    if prefix is None:
        return AccessLog.objects.none()
    in_scope = AccessLogEntry.objects.filter(prefix_q("division_code", prefix), log=OuterRef("pk"))
    queryset = AccessLog.objects.filter(Exists(in_scope))
    return filtered(queryset, AccessLogFilterSet, filters)


def import_job_list(*, actor: Actor) -> QuerySet[ImportJob]:
    """An actor's own imports (the files are theirs; jobs of others are not shown)."""
    require_perm(actor, Permission.IMPORT_ELDERS)
    if actor.pk is None:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by_id=actor.pk)


def import_job_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> ImportJob:
    return _get_or_404(import_job_list(actor=actor), external_id)


def user_actor_by_username(username: str) -> Any:
    """An active user to act as on the command line, or None."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username, is_active=True).first()


def family_consent_active(elder: Elder) -> bool:
    """Whether the elder (or guardian) has a family-view consent in force."""
    return Consent.objects.filter(
        elder=elder, purpose=ConsentPurpose.FAMILY_VIEW, withdrawn_on__isnull=True
    ).exists()


def family_elder_ids(*, user: Any) -> list[int]:
    """The elders a family-member login may see the care of: linked, active, and with the
    elder's family-view consent in force (withdrawing it closes the view at once)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != "family":
        return []
    consenting = Consent.objects.filter(
        purpose=ConsentPurpose.FAMILY_VIEW, withdrawn_on__isnull=True
    ).values("elder_id")
    return list(
        FamilyMember.objects.filter(user=user, is_active=True, elder_id__in=consenting)
        .values_list("elder_id", flat=True)
        .order_by("elder_id")
    )


def family_links(*, user: Any) -> QuerySet[FamilyMember]:
    """Every active link of a family login, consent or not (to explain a closed view)."""
    return FamilyMember.objects.filter(user=user, is_active=True).select_related("elder")


# --- where elders live: the data-quality list of elders without a usable location ---------

# Records someone still serves at home: the ones a missing location hurts.
SERVED = ~Q(status__in=(ElderStatus.DECEASED, ElderStatus.MOVED_OUT, ElderStatus.DUPLICATE))
NO_COORDINATES = Q(lat__isnull=True) | Q(lng__isnull=True)
APPROXIMATE = Q(location_source=LocationSource.COMMUNITY)


@dataclass(frozen=True)
class UnlocatedCount:
    missing: int  # no coordinates at all
    approximate: int  # only the community's centre

    @property
    def total(self) -> int:
        return self.missing + self.approximate


def elders_unlocated(*, actor: Actor, approximate: bool = True) -> QuerySet[Elder]:
    """Elders of the jurisdiction served at home whose home has no coordinates (and, with
    ``approximate``, those placed at their community's centre), for correction: no
    coordinates first, then by community and name."""
    wanted = NO_COORDINATES | APPROXIMATE if approximate else NO_COORDINATES
    return (
        elder_scoped(actor=actor)
        .filter(SERVED)
        .filter(wanted)
        .order_by(F("lat").asc(nulls_first=True), "division_code", "name", "id")
    )


def elders_unlocated_count(*, actor: Actor) -> UnlocatedCount:
    """How many elders of the jurisdiction :func:`elders_unlocated` lists, in one query."""
    counts = (
        elders_unlocated(actor=actor)
        .order_by()
        .aggregate(
            missing=Count("pk", filter=NO_COORDINATES),
            approximate=Count("pk", filter=~NO_COORDINATES),
        )
    )
    return UnlocatedCount(missing=counts["missing"] or 0, approximate=counts["approximate"] or 0)


def address_point_list(*, actor: Actor) -> QuerySet[AddressPoint]:
    """The register's addresses in the actor's jurisdiction."""
    require_perm(actor, Permission.VIEW_ELDERS)
    return actor.scope.apply(AddressPoint.objects.all(), division_code_field="division_code")


def home_unlocated_reason(elder: Elder) -> str:
    """What dispatch, check-in and the optimiser say about an elder whose home has no
    coordinates: who it is, what cannot be done, and who fixes it where."""
    return _(
        "The home of %(name)s has no coordinates, so distances and the check-in place cannot "
        "be checked. A community worker places it on the map from the list of elders without "
        "a map location."
    ) % {"name": elder.name}
