"""Reads of the service list, providers' offerings and caregivers, scoped to the actor."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db.models import Q, QuerySet

from yiyang.core.filtering import narrowed
from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.organisations.models import Organisation
from yiyang.services.choices import CaregiverStatus
from yiyang.services.models import Caregiver, Certificate, ServiceArea, ServiceItem, ServiceOffering


def _get(queryset: QuerySet[Any], external_id: uuid.UUID | str) -> Any:
    return get_or_404(queryset, external_id=external_id)


def service_items(*, actor: Actor, include_inactive: bool = False) -> QuerySet[ServiceItem]:
    """The service list. It is public information: every role may read it."""
    require_perm(actor, Permission.VIEW_SERVICE_LIST)
    items = ServiceItem.objects.select_related("city")
    return items if include_inactive else items.filter(is_active=True)


def service_item_get(*, actor: Actor, external_id: uuid.UUID | str) -> ServiceItem:
    return _get(service_items(actor=actor, include_inactive=True), external_id)


def provider_queryset(*, actor: Actor) -> QuerySet[Organisation]:
    """Providers the actor may see: their own organisation, or those in their divisions."""
    return actor.scope.apply(
        Organisation.objects.all(), division_code_field="division__code", organisation_field="id"
    )


def provider_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Organisation:
    return _get(provider_queryset(actor=actor), external_id)


def offering_list(*, actor: Actor) -> QuerySet[ServiceOffering]:
    """What the providers in the actor's scope offer, at what price."""
    require_perm(actor, Permission.VIEW_SERVICE_LIST)
    return ServiceOffering.objects.filter(
        provider__in=provider_queryset(actor=actor)
    ).select_related("item", "provider")


def provider_offerings(*, provider: Organisation) -> QuerySet[ServiceOffering]:
    return ServiceOffering.objects.filter(provider=provider).select_related("item")


def provider_areas(*, provider: Organisation) -> QuerySet[ServiceArea]:
    return ServiceArea.objects.filter(provider=provider).select_related("division")


def offering_for(*, provider: Organisation, item: ServiceItem) -> ServiceOffering | None:
    return ServiceOffering.objects.filter(provider=provider, item=item, is_active=True).first()


def provider_serves(*, provider: Organisation, division_code: str) -> bool:
    """Whether a division (an elder's community) lies in one of the provider's areas."""
    return any(
        division_code.startswith(prefix)
        for prefix in ServiceArea.objects.filter(provider=provider).values_list(
            "code_prefix", flat=True
        )
    )


def providers_offering(*, item: ServiceItem, division_code: str) -> QuerySet[Organisation]:
    """Providers that offer ``item`` in the division: what an order form offers to choose."""
    ids = [
        area.provider_id
        for area in ServiceArea.objects.filter(
            provider__offerings__item=item, provider__offerings__is_active=True
        ).only("provider_id", "code_prefix")
        if division_code.startswith(area.code_prefix)
    ]
    return Organisation.objects.filter(id__in=ids).order_by("name")


def caregiver_queryset(*, actor: Actor) -> QuerySet[Caregiver]:
    """Caregivers of the providers in the actor's scope."""
    require_perm(actor, Permission.VIEW_CAREGIVERS)
    return actor.scope.apply(
        Caregiver.objects.select_related("provider"),
        division_code_field="provider__division__code",
        organisation_field="provider_id",
    )


def caregiver_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Caregiver]:
    caregivers = caregiver_queryset(actor=actor)
    return narrowed(caregivers, filters, {"status": "status", "q": "name__icontains"})


def caregiver_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Caregiver:
    return _get(caregiver_queryset(actor=actor), external_id)


def caregiver_of_user(user: Any) -> Caregiver | None:
    """The caregiver profile a login belongs to (a caregiver's own visits)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Caregiver.objects.filter(user=user).select_related("provider").first()


def active_caregivers(*, provider_id: int) -> QuerySet[Caregiver]:
    return Caregiver.objects.filter(provider_id=provider_id, status=CaregiverStatus.ACTIVE)


def certificates_valid_on(
    *, caregiver_ids: list[int], day: datetime.date
) -> dict[int, dict[str, datetime.date | None]]:
    """For each caregiver, the qualifications held and the latest expiry (None = no expiry);
    expired ones are kept so that a refusal can say "expired" rather than "missing"."""
    held: dict[int, dict[str, datetime.date | None]] = {cid: {} for cid in caregiver_ids}
    for cert in Certificate.objects.filter(caregiver_id__in=caregiver_ids):
        current = held[cert.caregiver_id].get(cert.qualification, datetime.date.min)
        expiry = cert.expires_on
        if expiry is None or (current is not None and expiry > current):
            held[cert.caregiver_id][cert.qualification] = expiry
    return held


def served_area_prefixes(organisation_ids: frozenset[int]) -> list[str]:
    """The division prefixes of the areas the organisations serve (the scope's served
    areas, :meth:`yiyang.core.scoping.Scope.served_q`)."""
    return list(
        ServiceArea.objects.filter(provider_id__in=sorted(organisation_ids))
        .values_list("code_prefix", flat=True)
        .distinct()
    )


def provider_ids_serving(*, division_code: str) -> list[int]:
    areas = ServiceArea.objects.filter(
        Q(code_prefix="") | Q(code_prefix__lte=division_code)
    ).values_list("provider_id", "code_prefix")
    return sorted({pid for pid, prefix in areas if division_code.startswith(prefix)})
