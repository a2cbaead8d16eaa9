from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiyang.core.api.registers import ScopedRegisterViewSet
from yiyang.core.models import Division
from yiyang.core.permissions import Actor
from yiyang.core.selectors import division_queryset
from yiyang.organisations import services
from yiyang.organisations.api.serializers import OrganisationSerializer
from yiyang.organisations.filtersets import OrganisationFilterSet
from yiyang.organisations.models import Organisation
from yiyang.organisations.selectors import (
    operator_choices,
    organisation_get_for_actor,
    organisation_list,
)


class OrganisationViewSet(ScopedRegisterViewSet):  # the FilterSet is applied by DjangoFilterBackend
    """Government offices and providers in the caller's jurisdiction. Never deleted: set
    ``status`` to ``closed``."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet

    model = Organisation
    list_selector = staticmethod(organisation_list)
    get_for_actor = staticmethod(organisation_get_for_actor)

    create_service = staticmethod(services.organisation_create)
    update_service = staticmethod(services.organisation_update)
    step_target = "organisation"

    choice_fields = ("division", "operator")

    def field_choices(self, actor: Actor, instance: Any) -> dict[str, QuerySet[Any]]:
        divisions = division_queryset(actor=actor)
        if isinstance(instance, Organisation):  # its own division stays, even out of reach
            divisions = divisions | Division.objects.filter(pk=instance.division_id)
        return {"division": divisions, "operator": operator_choices(actor=actor)}
