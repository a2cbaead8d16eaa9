from __future__ import annotations

from typing import Any

from yiyang.core.models import Division
from yiyang.core.selectors import division_queryset
from yiyang.core.web.forms import ServiceValidatedModelForm, limit_choices
from yiyang.organisations.models import Organisation
from yiyang.organisations.selectors import operator_choices
from yiyang.organisations.services import ORGANISATION_FIELDS


class OrganisationForm(ServiceValidatedModelForm):
    class Meta:
        model = Organisation
        fields = list(ORGANISATION_FIELDS)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only divisions and operators inside the editor's jurisdiction are offered.
        limit_choices(self, "division", division_queryset(actor=actor))
        limit_choices(self, "operator", operator_choices(actor=actor))
        instance = kwargs.get("instance")
        if instance is not None and instance.pk and not actor.scope.division_prefix:
            # An organisation-scoped editor (provider manager) keeps its own division.
            limit_choices(
                self,
                "division",
                division_queryset(actor=actor) | Division.objects.filter(pk=instance.division_id),
            )
