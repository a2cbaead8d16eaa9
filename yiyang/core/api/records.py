"""What every record shows in the API, decided once (convention 4: public identifiers are
UUIDs): its own id, the id and name of each record it refers to, the words for its codes.

The reference mixins only declare fields: a ``ModelSerializer`` lists them in its
``Meta.fields``, which keeps the order of the answer and of the schema."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

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


# The classes below carry comments, not docstrings: drf-spectacular describes a serializer by
# the first docstring along its bases, so a docstring here would describe every record.


# A model's record: ``id`` is its external id (subclasses list it in ``Meta.fields``).
class RecordSerializer(serializers.ModelSerializer[_M]):
    id = serializers.UUIDField(source="external_id", read_only=True)


# A reference mixin: a subclass names its ``relation`` and declares ``<relation>`` (the
# related record's public id) and ``<relation>_name`` (its name).
class NamedRef(serializers.Serializer[Any]):
    relation: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "relation" in cls.__dict__:
            relation = cls.relation
            pair: dict[str, serializers.Field[Any, Any, Any, Any]] = {
                relation: ref(relation),
                f"{relation}_name": ref_name(relation),
            }
            cls._declared_fields = {**pair, **cls._declared_fields}


# The organisation a record belongs to.
class OrganisationRef(NamedRef):
    relation = "organisation"


# The service provider of a record.
class ProviderRef(NamedRef):
    relation = "provider"


# The elder a record is about.
class ElderRef(NamedRef):
    relation = "elder"


# The caregiver (a workforce person) a record is about.
class PersonRef(NamedRef):
    relation = "person"


def coordinate(**kwargs: Any) -> serializers.DecimalField:
    """A latitude or a longitude in degrees, to six decimal places (about ten centimetres)."""
    return serializers.DecimalField(max_digits=9, decimal_places=6, **kwargs)


def scoped_choice(
    model: type[models.Model], does_not_exist: Any, invalid: Any = None, **kwargs: Any
) -> serializers.SlugRelatedField[Any]:
    """A related record given by its public id and chosen among those the caller may reach:
    the queryset is empty here and set per request by the viewset (``ScopedChoicesMixin``);
    ``does_not_exist`` (and ``invalid``, for a malformed id) are the field's messages."""
    messages = {"does_not_exist": does_not_exist}
    if invalid is not None:
        messages["invalid"] = invalid
    return serializers.SlugRelatedField(
        slug_field="external_id",
        queryset=model._default_manager.none(),
        error_messages=messages,
        **kwargs,
    )
