"""Reads of organisations, each scoped to the actor's jurisdiction."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.resources import Readable
from yiyang.organisations.choices import OrganisationKind
from yiyang.organisations.filtersets import OrganisationFilterSet
from yiyang.organisations.models import Organisation


def organisation_queryset(*, actor: Actor) -> QuerySet[Organisation]:
    """Every organisation in the actor's jurisdiction (no permission check: for choices)."""
    return actor.scope.apply(
        Organisation.objects.select_related("division", "operator"),
        division_code_field="division__code",
        organisation_field="pk",
    )


ORGANISATIONS = Readable(
    organisation_queryset, Permission.VIEW_ORGANISATIONS, OrganisationFilterSet
)
organisation_list = ORGANISATIONS.list
organisation_get_for_actor = ORGANISATIONS.get


def operator_choices(*, actor: Actor) -> QuerySet[Organisation]:
    """Third-party operators the actor may name as running a facility."""
    return organisation_queryset(actor=actor).filter(kind=OrganisationKind.THIRD_PARTY_OPERATOR)


def organisation_ids_run_by(organisation_id: int) -> frozenset[int]:
    """An organisation and the facilities it operates for others: an org-scoped user's reach."""
    ids = Organisation.objects.filter(Q(pk=organisation_id) | Q(operator_id=organisation_id))
    return frozenset(ids.values_list("pk", flat=True))


def organisation_summary(*, actor: Actor) -> dict[str, Any]:
    """What a home page shows of the organisations in scope: counts by kind, beds, and the
    share of communities with a care station (urban and rural), per DOMAIN's indicators."""
    require_perm(actor, Permission.VIEW_ORGANISATIONS)
    organisations = organisation_queryset(actor=actor).select_related(None)
    by_kind = dict(
        organisations.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    beds = organisations.filter(kind=OrganisationKind.CARE_INSTITUTION).aggregate(
        total=Sum("total_beds"), nursing=Sum("nursing_beds"), occupied=Sum("occupied_beds")
    )
    summary: dict[str, Any] = {
        "by_kind": [(label, by_kind.get(value, 0)) for value, label in OrganisationKind.choices],
        "total": sum(by_kind.values()),
        "beds": beds,
    }
    prefix = actor.scope.division_prefix
    if prefix is not None and actor.scope.organisation_ids is None:
        served = organisations.filter(kind=OrganisationKind.COMMUNITY_STATION).values("division_id")
        urban, rural, covered = Q(is_urban=True), Q(is_urban=False), Q(pk__in=served)
        stats = Division.objects.filter(level="community", code__startswith=prefix).aggregate(
            urban_total=Count("id", filter=urban),
            urban_covered=Count("id", filter=urban & covered),
            rural_total=Count("id", filter=rural),
            rural_covered=Count("id", filter=rural & covered),
            elders=Sum("population_60_plus"),
        )
        coverage = {}
        for group in ("urban", "rural"):
            total, done = stats[f"{group}_total"], stats[f"{group}_covered"]
            coverage[group] = {
                "total": total,
                "covered": done,
                "percent": round(100 * done / total, 1) if total else None,
            }
        elders = stats["elders"] or 0
        summary["coverage"] = coverage
        summary["elders"] = elders
        if elders and beds["total"]:
            summary["beds_per_1000"] = round(1000 * beds["total"] / elders, 1)
        if beds["total"]:
            summary["nursing_share"] = round(100 * (beds["nursing"] or 0) / beds["total"], 1)
            summary["occupancy"] = round(100 * (beds["occupied"] or 0) / beds["total"], 1)
    return summary
