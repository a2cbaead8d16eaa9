"""The organisations app owns government offices and care providers: where they are, what
kind they are, their licence and status, and (for care institutions) their beds."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.audit import audit_record, created
from yiyang.core.auditing import update_audited
from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields, row_errors, unknown_field_errors
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.validation import coordinate_errors
from yiyang.organisations.choices import (
    OPERABLE_KINDS,
    OrganisationKind,
    OrganisationStatus,
    Ownership,
)
from yiyang.organisations.models import Organisation

# In the order the form shows them.
ORGANISATION_FIELDS = (
    "name",
    "kind",
    "ownership",
    "status",
    "division",
    "address",
    "lat",
    "lng",
    "licence_number",
    "phone",
    "total_beds",
    "nursing_beds",
    "occupied_beds",
    "operator",
)
BED_FIELDS = ("total_beds", "nursing_beds", "occupied_beds")


class OrganisationValues(TypedDict, total=False):
    """What :func:`organisation_create` and :func:`organisation_update` accept
    (``ORGANISATION_FIELDS``)."""

    name: str
    kind: str
    ownership: str
    status: str
    division: Division
    address: str
    lat: Decimal | None
    lng: Decimal | None
    licence_number: str
    phone: str
    total_beds: int | None
    nursing_beds: int | None
    occupied_beds: int | None
    operator: Organisation | None


def _organisation_errors(
    *, values: dict[str, Any], actor: Actor, instance: Organisation | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not str(values.get("name") or "").strip():
        errors["name"] = _("Give the organisation's name.")
    kind = values.get("kind")
    if kind not in OrganisationKind.values:
        errors["kind"] = _("Choose the kind of organisation.")
    if values.get("status", OrganisationStatus.ACTIVE) not in OrganisationStatus.values:
        errors["status"] = _("Choose a status.")
    ownership = values.get("ownership") or ""
    if ownership and ownership not in Ownership.values:
        errors["ownership"] = _("Ownership is public or private.")
    division: Division | None = values.get("division")
    if division is None:
        errors["division"] = _("Place the organisation in a division.")
    elif not actor.scope.covers(
        division_code=division.code, organisation_id=instance.pk if instance else None
    ):
        errors["division"] = _("This division lies outside your jurisdiction.")
    if kind == OrganisationKind.CARE_INSTITUTION:
        if not ownership:
            errors["ownership"] = _("Say whether the care institution is public or private.")
        total, nursing, occupied = (values.get(f) for f in BED_FIELDS)
        if total is None:
            errors["total_beds"] = _("A care institution gives its total number of beds.")
        else:
            if nursing is not None and nursing > total:
                errors["nursing_beds"] = _(
                    "Nursing-type beds (%(n)d) cannot exceed total beds (%(t)d)."
                ) % {"n": nursing, "t": total}
            if occupied is not None and occupied > total:
                errors["occupied_beds"] = _(
                    "Occupied beds (%(n)d) cannot exceed total beds (%(t)d)."
                ) % {"n": occupied, "t": total}
        for field in BED_FIELDS:
            value = values.get(field)
            if value is not None and value < 0:
                errors[field] = _("A number of beds cannot be negative.")
    elif kind is not None:
        for field in BED_FIELDS:
            if values.get(field) is not None:
                errors[field] = _("Only care institutions record beds.")
    licence = str(values.get("licence_number") or "").strip()
    if (
        licence
        and Organisation.objects.filter(licence_number=licence)
        .exclude(pk=instance.pk if instance else -1)
        .exists()
    ):
        errors["licence_number"] = _("Licence number %(n)s is already registered.") % {"n": licence}
    errors.update(
        coordinate_errors(lat=values.get("lat"), lng=values.get("lng"), division=division)
    )
    operator: Organisation | None = values.get("operator")
    if operator is not None:
        if operator.kind != OrganisationKind.THIRD_PARTY_OPERATOR:
            errors["operator"] = _("The operator must be a third-party operator.")
        elif kind not in OPERABLE_KINDS:
            errors["operator"] = _(
                "Only stations, day-care centres, canteens and institutions are run by operators."
            )
        elif instance is not None and operator.pk == instance.pk:
            errors["operator"] = _("An organisation cannot operate itself.")
        elif not actor.scope.covers(
            division_code=operator.division.code, organisation_id=operator.pk
        ) and (instance is None or instance.operator_id != operator.pk):
            errors["operator"] = _("This operator lies outside your jurisdiction.")
    return errors


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in values.items() if k in ORGANISATION_FIELDS}
    for key in ("name", "address", "licence_number", "phone"):
        if key in cleaned and cleaned[key] is not None:
            cleaned[key] = str(cleaned[key]).strip()
    return cleaned


@transaction.atomic
def organisation_create(*, actor: Actor, **values: Unpack[OrganisationValues]) -> Organisation:
    """Register an organisation in a division of the actor's jurisdiction."""
    require_perm(actor, Permission.CREATE_ORGANISATIONS)
    reject_unknown_fields(values, ORGANISATION_FIELDS)
    cleaned = _clean(values)
    errors = _organisation_errors(values=cleaned, actor=actor, instance=None)
    if errors:
        raise ValidationError(errors)
    organisation = Organisation(**cleaned)
    organisation.save()
    division_code = organisation.division.code
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=organisation,
        division_code=division_code,
        changes=created(organisation, ORGANISATION_FIELDS),
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: Actor, organisation: Organisation, **values: Unpack[OrganisationValues]
) -> Organisation:
    """Change an organisation the actor may reach; it stays inside their jurisdiction."""
    require_perm(actor, Permission.MANAGE_ORGANISATIONS)
    reject_unknown_fields(values, ORGANISATION_FIELDS)
    cleaned = _clean(values)
    merged = {name: getattr(organisation, name) for name in ORGANISATION_FIELDS} | cleaned
    errors = _organisation_errors(values=merged, actor=actor, instance=organisation)
    if not actor.scope.covers(
        division_code=organisation.division.code, organisation_id=organisation.pk
    ):
        errors["division"] = _("This organisation lies outside your jurisdiction.")
    if actor.scope.division_prefix is None and merged["division"] != organisation.division:
        # Organisation-scoped staff run their organisation; where it sits is the government's.
        errors["division"] = _("Only the district or street office can move an organisation.")
    if errors:
        raise ValidationError(errors)
    update_audited(
        actor,
        organisation,
        cleaned,
        ORGANISATION_FIELDS,
        division_code=merged["division"].code,
    )
    return organisation


@transaction.atomic
def organisation_create_many(*, actor: Actor, rows: list[dict[str, Any]]) -> list[Organisation]:
    """Register many organisations at once (imports, the demo city): every row valid, or
    nothing written; the error names each row and field."""
    require_perm(actor, Permission.CREATE_ORGANISATIONS)
    errors: dict[int, dict[str, str]] = {}
    licences: set[str] = set()
    cleaned_rows = [_clean(row) for row in rows]
    for number, (row, values) in enumerate(zip(rows, cleaned_rows, strict=True), start=1):
        problems = unknown_field_errors(row, ORGANISATION_FIELDS)
        problems |= _organisation_errors(values=values, actor=actor, instance=None)
        licence = values.get("licence_number") or ""
        if licence and licence in licences:
            problems["licence_number"] = _("Licence number %(n)s appears twice.") % {"n": licence}
        licences.add(licence)
        if problems:
            errors[number] = problems
    if errors:
        raise row_errors(errors)
    organisations = Organisation.objects.bulk_create(
        [Organisation(**values) for values in cleaned_rows], batch_size=500
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="organisations.organisation",
        object_repr=f"{len(organisations)} organisations",
        changes={"count": len(organisations)},
    )
    return organisations
