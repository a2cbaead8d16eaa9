"""Food safety of a canteen: sample retention (留样, 48 hours), storage temperatures,
inspections and the kitchen staff's health certificates."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission
from yiyang.meals.choices import InspectionResult, SafetyKind
from yiyang.meals.models import Canteen, FoodSafetyRecord, HealthCertificate
from yiyang.meals.services.common import raise_if, require_canteen


@transaction.atomic
def safety_record_add(
    *,
    actor: Actor,
    canteen: Canteen,
    kind: str,
    recorded_by_name: str,
    day: datetime.date | None = None,
    at: datetime.datetime | None = None,
    temperature_c: Any = None,
    meal: str = "",
    place: str = "",
    result: str = "",
    note: str = "",
) -> FoodSafetyRecord:
    """Record a sample retained, a storage temperature or an inspection."""
    require_canteen(actor, Permission.MANAGE_CANTEENS, canteen)
    at = at or timezone.now()
    day = day or timezone.localdate(at)
    errors: dict[str, str] = {}
    if kind not in SafetyKind.values:
        errors["kind"] = _("Unknown kind of record.")
    if not recorded_by_name.strip():
        errors["recorded_by_name"] = _("Who recorded it?")
    temperature = None
    if kind == SafetyKind.TEMPERATURE:
        try:
            temperature = Decimal(str(temperature_c))
            if not Decimal("-40") <= temperature <= Decimal("99"):
                errors["temperature_c"] = _("A temperature between -40 and 99 °C.")
        except (InvalidOperation, ValueError):
            errors["temperature_c"] = _("Enter the temperature in °C.")
    if kind == SafetyKind.INSPECTION and result not in InspectionResult.values:
        errors["result"] = _("Give the inspection's result.")
    if day > timezone.localdate():
        errors["day"] = _("A record cannot be dated in the future.")
    raise_if(errors)
    record = FoodSafetyRecord.objects.create(
        canteen=canteen,
        kind=kind,
        day=day,
        at=at,
        recorded_by_name=recorded_by_name.strip(),
        temperature_c=temperature,
        meal=meal,
        place=place,
        result=result,
        note=note,
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=record, division_code=canteen.division_code
    )
    return record


@transaction.atomic
def certificate_add(
    *, actor: Actor, canteen: Canteen, staff_name: str, expires_on: datetime.date, number: str = ""
) -> HealthCertificate:
    """A kitchen worker's health certificate and its expiry."""
    require_canteen(actor, Permission.MANAGE_CANTEENS, canteen)
    raise_if({"staff_name": _("Name the staff member.")} if not staff_name.strip() else {})
    cert = HealthCertificate.objects.create(
        canteen=canteen, staff_name=staff_name.strip(), number=number, expires_on=expires_on
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=cert, division_code=canteen.division_code
    )
    return cert
