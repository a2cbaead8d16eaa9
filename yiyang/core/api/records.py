"""What every record shows in the API, decided once (convention 4: public identifiers are
UUIDs): its own id, the id and name of each record it refers to, the words for its codes.

The reference mixins only declare fields: a ``ModelSerializer`` lists them in its
``Meta.fields``, which keeps the order of the answer and of the schema."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from rest_framework import serializers

_M = TypeVar("_M", bound=models.Model)


def ref(relation: str, **kwargs: Any) -> serializers.UUIDField:
    """The public id of the record ``relation`` points to (read-only)."""
    return serializers.UUIDField(source=f"{relation}.external_id", read_only=True, **kwargs)


def ref_name(relation: str, **kwargs: Any) -> serializers.CharField:
    """The name of the record ``relation`` points to (read-only)."""
    return serializers.CharField(source=f"{relation}.name", read_only=True, **kwargs)


def optional_ref(relation: str) -> serializers.UUIDField:
    """The public id of the record ``relation`` points to, null when it points nowhere."""
    return ref(relation, allow_null=True, default=None)


def label(field: str) -> serializers.CharField:
    """The words for a choice field's code, in the reader's language."""
    return serializers.CharField(source=f"get_{field}_display", read_only=True)


class RecordSerializer(serializers.ModelSerializer[_M]):
    """A model's record: ``id`` is its external id (subclasses list it in ``Meta.fields``)."""

    id = serializers.UUIDField(source="external_id", read_only=True)


class OrganisationRef(serializers.Serializer[Any]):
    """The organisation a record belongs to: ``organisation`` and ``organisation_name``."""

    organisation = ref("organisation")
    organisation_name = ref_name("organisation")


class ProviderRef(serializers.Serializer[Any]):
    """The service provider of a record: ``provider`` and ``provider_name``."""

    provider = ref("provider")
    provider_name = ref_name("provider")


class ElderRef(serializers.Serializer[Any]):
    """The elder a record is about: ``elder`` and ``elder_name``."""

    elder = ref("elder")
    elder_name = ref_name("elder")


class PersonRef(serializers.Serializer[Any]):
    """The caregiver (a workforce person) a record is about: ``person`` and ``person_name``."""

    person = ref("person")
    person_name = ref_name("person")
