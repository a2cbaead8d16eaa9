"""Reads of users, scoped: an administrator sees the users whose scope lies in theirs."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yiyang.accounts.models import User
from yiyang.core.permissions import Actor, Permission, Role
from yiyang.core.resources import Readable


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"), empty_label=_("All"))
    is_active = django_filters.BooleanFilter(label=pgettext_lazy("account", "Active"))

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(full_name__icontains=value))


def user_queryset(*, actor: Actor) -> QuerySet[User]:
    """Users whose own division, or whose organisation's division, lies in the actor's scope.
    Users with no place at all (family accounts not yet linked) are seen city-wide only."""
    scope = actor.scope
    queryset = User.objects.select_related("division", "organisation")
    if scope.division_prefix is None:
        return queryset.none()
    prefix = scope.division_prefix
    condition = Q(division__code__startswith=prefix) | Q(
        organisation__division__code__startswith=prefix
    )
    if len(prefix) <= 4:
        condition |= Q(division__isnull=True, organisation__isnull=True)
    queryset = queryset.filter(condition)
    if scope.organisation_ids is not None:
        queryset = queryset.filter(organisation_id__in=sorted(scope.organisation_ids))
    return queryset


USERS = Readable(user_queryset, Permission.VIEW_USERS, UserFilterSet)
user_list = USERS.list
user_get_for_actor = USERS.get
