from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.models import Division
from yiyang.core.scoping import prefix_q
from yiyang.elders.choices import (
    AccessAction,
    AgeBand,
    EconomicStatus,
    ElderStatus,
    LivingArrangement,
    SensitiveField,
    Sex,
    Tag,
)
from yiyang.elders.models import AccessLog, AccessLogEntry, Elder, ElderLookup
from yiyang.elders.parsing import CellError, normalise_phone
from yiyang.elders.sensitive import id_hash, phone_hash
from yiyang.elders.tags import age_band_q, tag_q


def search_q(value: str) -> Q:
    """``q``: a whole ID number or phone (exact, through the blind index), pinyin initials
    (ZSF), or part of a name."""
    text = value.strip()
    compact = "".join(text.split())
    if len(compact) in (15, 18) and compact[:14].isdigit():
        try:
            return Q(id_number_hash=id_hash(parse_citizen_id(compact).number))
        except IdNumberError:
            return Q(pk__in=[])
    if any(ch.isdigit() for ch in compact) and len(compact) >= 7:
        try:
            number = normalise_phone(compact)
        except CellError:
            return Q(pk__in=[])
        return Q(
            pk__in=ElderLookup.objects.filter(value_hash=phone_hash(number)).values("elder_id")
        )
    if compact.isascii() and compact.isalpha():
        initials = compact.upper()
        condition = Q(name_initials__startswith=initials)
        if initials[-1] < "Z":  # a range bound lets the index serve under any collation
            condition &= Q(name_initials__gte=initials)
            condition &= Q(name_initials__lt=initials[:-1] + chr(ord(initials[-1]) + 1))
        return condition
    return name_q(text)


def name_q(text: str) -> Q:
    """Part of a name. On PostgreSQL the name's two-character pieces (an index, migration
    0005) find the candidates among a city's elders; the LIKE stays the exact test."""
    condition = Q(name__contains=text)
    if connection.vendor != "postgresql" or len(text) < 2:
        return condition
    from django.contrib.postgres.fields import ArrayField
    from django.contrib.postgres.lookups import DataContains

    pieces = sorted({text[i : i + 2] for i in range(len(text) - 1)})
    bigrams: ArrayField[Any, Any] = ArrayField(TextField())
    indexed = Func(F("name"), function="elder_name_bigrams", output_field=bigrams)
    found = Q(DataContains(indexed, Value(pieces, output_field=bigrams)))
    # Two characters are one piece, and holding that piece is being a substring: the LIKE
    # would add nothing but a selectivity guess far too low (the planner multiplies both).
    return found if len(text) == 2 else condition & found


class ElderFilterSet(django_filters.FilterSet):
    """The elder list's filters, for the page, the API and exports alike."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    division = django_filters.CharFilter(method="in_division", label=_("Division"))
    tag = django_filters.MultipleChoiceFilter(
        choices=Tag.choices, method="with_tags", label=_("Tags")
    )
    age_band = django_filters.MultipleChoiceFilter(
        choices=AgeBand.choices, method="in_age_bands", label=_("Age band")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ElderStatus.choices, method="with_status", label=_("Status")
    )
    living_arrangement = django_filters.MultipleChoiceFilter(
        choices=LivingArrangement.choices, label=_("Living arrangement"), distinct=False
    )
    economic_status = django_filters.MultipleChoiceFilter(
        choices=EconomicStatus.choices, label=_("Economic status"), distinct=False
    )
    sex = django_filters.ChoiceFilter(choices=Sex.choices, label=_("Sex"), empty_label=_("All"))

    class Meta:
        model = Elder
        fields = [
            "q",
            "division",
            "tag",
            "age_band",
            "status",
            "living_arrangement",
            "economic_status",
            "sex",
        ]

    def filter_queryset(self, queryset: QuerySet[Elder]) -> QuerySet[Elder]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            # Records marked duplicate stay out of lists unless a status filter asks for them.
            queryset = queryset.exclude(status=ElderStatus.DUPLICATE)
        return queryset

    def search(self, queryset: QuerySet[Elder], name: str, value: str) -> QuerySet[Elder]:
        return queryset.filter(search_q(value)) if value.strip() else queryset

    def in_division(self, queryset: QuerySet[Elder], name: str, value: str) -> QuerySet[Elder]:
        """A division (by external id or 12-digit code) and everything below it. The queryset
        is already scoped, so a division outside the jurisdiction finds nothing."""
        value = value.strip()
        lookup = {"code": value} if value.isdigit() else {"external_id": value}
        try:
            division = Division.objects.filter(**lookup).only("code", "level").first()
        except (ValueError, TypeError, ValidationError):  # a malformed UUID
            division = None
        if division is None:
            return queryset.none()
        return queryset.filter(prefix_q("division_code", division.code_prefix))

    def with_tags(self, queryset: QuerySet[Elder], name: str, value: list[str]) -> QuerySet[Elder]:
        today = timezone.localdate()
        for tag in value:  # every tag must hold
            queryset = queryset.filter(tag_q(tag, today))
        return queryset

    def in_age_bands(
        self, queryset: QuerySet[Elder], name: str, value: list[str]
    ) -> QuerySet[Elder]:
        if not value:
            return queryset
        today = timezone.localdate()
        condition = Q()
        for band in value:
            condition |= age_band_q(band, today)
        return queryset.filter(condition)

    def with_status(self, queryset: QuerySet[Elder], name: str, value: Any) -> QuerySet[Elder]:
        return queryset.filter(status__in=value) if value else queryset


class AccessLogFilterSet(django_filters.FilterSet):
    """Filters auditors use on the access log."""

    username = django_filters.CharFilter(field_name="actor_username", label=_("Username"))
    action = django_filters.ChoiceFilter(
        choices=AccessAction.choices, label=_("Action"), empty_label=_("All")
    )
    elder = django_filters.UUIDFilter(method="for_elder", label=_("Elder"))
    field = django_filters.ChoiceFilter(
        choices=SensitiveField.choices, method="with_field", label=_("Field"), empty_label=_("All")
    )
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label=_("From"))
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label=_("To"))

    class Meta:
        model = AccessLog
        fields = ["username", "action", "elder", "field", "since", "until"]

    def for_elder(
        self, queryset: QuerySet[AccessLog], name: str, value: Any
    ) -> QuerySet[AccessLog]:
        entries = AccessLogEntry.objects.filter(elder__external_id=value).values("log_id")
        return queryset.filter(pk__in=entries)

    def with_field(
        self, queryset: QuerySet[AccessLog], name: str, value: str
    ) -> QuerySet[AccessLog]:
        return queryset.filter(fields__icontains=f'"{value}"')
