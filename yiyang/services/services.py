"""Writes of the service list, providers' offerings and areas, caregivers and certificates.

Each write validates everything first and raises a ``ValidationError`` keyed by field;
nothing is half-written. Every change is audited.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.accounts.models import User
from yiyang.core import crypto, safejson
from yiyang.core.audit import audit_record, diff, snapshot
from yiyang.core.choices import AuditAction, DivisionLevel
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.validation import coordinate_errors
from yiyang.organisations.models import Organisation
from yiyang.services.choices import (
    CaregiverStatus,
    Language,
    Qualification,
    ServiceCategory,
    ServiceUnit,
    Skill,
    TravelMode,
)
from yiyang.services.models import Caregiver, Certificate, ServiceArea, ServiceItem, ServiceOffering

STANDARD_LIST = Path(__file__).with_name("standard_list.json")
ITEM_FIELDS = (
    "category",
    "code",
    "name",
    "description",
    "unit",
    "standard_minutes",
    "standard_price",
    "required_qualification",
    "required_skill",
    "checklist",
    "two_caregivers",
    "is_active",
)
CAREGIVER_FIELDS = (
    "name",
    "sex",
    "phone_masked",
    "skills",
    "languages",
    "work_days",
    "work_start",
    "work_end",
    "max_minutes_per_day",
    "home_lat",
    "home_lng",
    "travel_mode",
    "status",
)
# What a caregiver's profile takes in: the phone in clear (stored sealed and masked) and
# the caregiver's login, where CAREGIVER_FIELDS (the audited columns) has the masked phone.
CAREGIVER_INPUT_FIELDS = (
    *("phone" if name == "phone_masked" else name for name in CAREGIVER_FIELDS),
    "user",
)
PHONE = re.compile(r"^1[3-9]\d{9}$")


class ServiceItemValues(TypedDict, total=False):
    """What :func:`service_item_save` accepts (``ITEM_FIELDS``)."""

    category: str
    code: str
    name: str
    description: str
    unit: str
    standard_minutes: int
    standard_price: Decimal | str
    required_qualification: str
    required_skill: str
    checklist: list[str] | str
    two_caregivers: bool
    is_active: bool


class CaregiverValues(TypedDict, total=False):
    """What :func:`caregiver_save` accepts (``CAREGIVER_INPUT_FIELDS``); times may come as
    text (08:00), as a spreadsheet gives them."""

    name: str
    sex: str
    phone: str
    skills: list[str]
    languages: list[str]
    work_days: list[int]
    work_start: datetime.time | str
    work_end: datetime.time | str
    max_minutes_per_day: int
    home_lat: Decimal | None
    home_lng: Decimal | None
    travel_mode: str
    status: str
    user: User | None


def _money(value: Any, field: str, errors: dict[str, str]) -> Decimal | None:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors[field] = _("Give the price as a number of yuan.")
        return None
    if not amount.is_finite() or amount < 0 or amount > Decimal("99999"):
        errors[field] = _("The price must lie between 0 and 99,999 yuan.")
        return None
    return amount


def _item_values(values: Mapping[str, Any], item: ServiceItem) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ITEM_FIELDS:
        if name in values:
            setattr(item, name, values[name])
    item.name = str(item.name or "").strip()[:100]
    item.code = str(item.code or "").strip()[:16]
    if not item.name:
        errors["name"] = _("Give the service a name.")
    if not item.code:
        errors["code"] = _("Give the service a code.")
    if item.category not in ServiceCategory.values:
        errors["category"] = _("Choose a category from the list.")
    if item.unit not in ServiceUnit.values:
        errors["unit"] = _("Choose a unit from the list.")
    try:
        minutes = int(item.standard_minutes)
        if not 5 <= minutes <= 720:
            raise ValueError
        item.standard_minutes = minutes
    except (TypeError, ValueError):
        errors["standard_minutes"] = _("The standard duration must be 5 to 720 minutes.")
    price = _money(item.standard_price, "standard_price", errors)
    if price is not None:
        item.standard_price = price
    if item.required_qualification and item.required_qualification not in Qualification.values:
        errors["required_qualification"] = _("Choose a qualification from the list.")
    if item.required_skill and item.required_skill not in Skill.values:
        errors["required_skill"] = _("Choose a skill from the list.")
    checklist = item.checklist
    if isinstance(checklist, str):
        checklist = [line.strip() for line in checklist.splitlines()]
    if not isinstance(checklist, list) or not all(isinstance(t, str) for t in checklist):
        errors["checklist"] = _("The checklist is a list of tasks, one per line.")
    else:
        item.checklist = [t.strip()[:100] for t in checklist if t.strip()][:30]
    return errors


@transaction.atomic
def service_item_save(
    *,
    actor: Actor,
    city: Division,
    item: ServiceItem | None = None,
    **values: Unpack[ServiceItemValues],
) -> ServiceItem:
    """Create or change an item of a city's service list."""
    require_perm(actor, Permission.MANAGE_SERVICE_LIST)
    reject_unknown_fields(values, ITEM_FIELDS)
    if not actor.scope.covers_division_code(city.code) or city.level != DivisionLevel.CITY:
        raise PermissionDenied("city")
    created = item is None
    item = item or ServiceItem(city=city)
    before = {} if created else snapshot(item, ITEM_FIELDS)
    errors = _item_values(values, item)
    clash = ServiceItem.objects.filter(city=city, code=item.code).exclude(pk=item.pk)
    if item.code and clash.exists():
        errors["code"] = _("Another service of this city has the code %(code)s.") % {
            "code": item.code
        }
    if errors:
        raise ValidationError(errors)
    item.save()
    changes = diff(before, snapshot(item, ITEM_FIELDS))
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=item,
            division_code=city.code,
            changes=changes,
        )
    return item


@transaction.atomic
def service_list_load(*, actor: Actor, city: Division, path: Path = STANDARD_LIST) -> int:
    """Load a service list file into a city's list (items matched by code); returns how
    many items were created or changed. One bad item and nothing is written."""
    data = safejson.loads(path.read_bytes())  # a city may load its own list: bounded
    existing = {item.code: item for item in ServiceItem.objects.filter(city=city)}
    changed = 0
    problems: dict[str, str] = {}
    for row in data["items"]:
        values = {
            "category": row["category"],
            "code": row["code"],
            "name": row["name"],
            "unit": row["unit"],
            "standard_minutes": row["minutes"],
            "standard_price": row["price"],
            "required_qualification": row["qualification"],
            "required_skill": row["skill"],
            "checklist": row["checklist"],
            "two_caregivers": row["two"],
        }
        item = existing.get(row["code"])
        before = None if item is None else snapshot(item, ITEM_FIELDS)
        try:
            saved = service_item_save(actor=actor, city=city, item=item, **values)
        except ValidationError as exc:
            problems[row["code"]] = "; ".join(
                f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()
            )
            continue
        changed += before != snapshot(saved, ITEM_FIELDS)
    if problems:
        raise ValidationError(problems)
    return changed


def _require_provider(actor: Actor, provider: Organisation) -> None:
    require_perm(actor, Permission.MANAGE_OFFERINGS)
    if not actor.scope.covers(
        division_code=provider.division.code if provider.division_id else None,
        organisation_id=provider.pk,
    ):
        raise PermissionDenied("provider")


@transaction.atomic
def offering_set(
    *, actor: Actor, provider: Organisation, item: ServiceItem, price: Any, active: bool = True
) -> ServiceOffering:
    """A provider offers (or stops offering) an item at its own price."""
    _require_provider(actor, provider)
    errors: dict[str, str] = {}
    amount = _money(price, "price", errors)
    if not item.is_active and active:
        errors["item"] = _("This service is no longer in the city's list.")
    if errors:
        raise ValidationError(errors)
    offering, created = ServiceOffering.objects.get_or_create(
        provider=provider, item=item, defaults={"price": amount, "is_active": active}
    )
    before = None if created else [str(offering.price), offering.is_active]
    offering.price, offering.is_active = amount, active  # type: ignore[assignment]
    offering.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=offering,
        division_code=provider.division.code if provider.division_id else "",
        changes={"offering": [before, [str(amount), active]]},
    )
    return offering


@transaction.atomic
def service_areas_set(
    *, actor: Actor, provider: Organisation, divisions: Iterable[Division]
) -> list[ServiceArea]:
    """The divisions (each with everything under it) a provider serves."""
    _require_provider(actor, provider)
    divisions = list(divisions)
    provider_city = provider.division.city_code_prefix if provider.division_id else ""
    outside = [d.name for d in divisions if not d.code.startswith(provider_city)]
    if outside:
        raise ValidationError(
            {
                "divisions": _("Outside the provider's city: %(names)s.")
                % {"names": ", ".join(outside)}
            }
        )
    before = sorted(
        ServiceArea.objects.filter(provider=provider).values_list("division__code", flat=True)
    )
    ServiceArea.objects.filter(provider=provider).exclude(division__in=divisions).delete()
    for division in divisions:
        ServiceArea.objects.get_or_create(
            provider=provider, division=division, defaults={"code_prefix": division.code_prefix}
        )
    after = sorted(d.code for d in divisions)
    if before != after:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=provider,
            division_code=provider.division.code if provider.division_id else "",
            changes={"service_areas": [before, after]},
        )
    return list(ServiceArea.objects.filter(provider=provider))


def _time(value: Any) -> datetime.time | None:
    if isinstance(value, datetime.time):
        return value
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        return None


def _caregiver_values(
    values: Mapping[str, Any], caregiver: Caregiver
) -> tuple[dict[str, str], str | None]:
    errors: dict[str, str] = {}
    phone: str | None = None
    if "name" in values:
        caregiver.name = str(values["name"] or "").strip()[:50]
    if not caregiver.name:
        errors["name"] = _("Give the caregiver's name.")
    if "sex" in values:
        caregiver.sex = values["sex"] if values["sex"] in ("male", "female") else ""
    if "phone" in values:
        phone = re.sub(r"[\s-]", "", str(values["phone"] or ""))
        if phone.startswith("+86"):
            phone = phone[3:]
        if phone and not PHONE.match(phone):
            errors["phone"] = _("A mobile number has 11 digits and starts with 1.")
    for name, allowed in (("skills", Skill.values), ("languages", Language.values)):
        if name in values:
            chosen = list(values[name] or [])
            wrong = [v for v in chosen if v not in allowed]
            if wrong:
                errors[name] = _("Not in the list: %(values)s.") % {
                    "values": ", ".join(map(str, wrong))
                }
            setattr(caregiver, name, sorted(set(chosen) - set(wrong)))
    if "work_days" in values:
        try:
            days = sorted({int(d) for d in values["work_days"] or []})
            if any(not 0 <= d <= 6 for d in days):
                raise ValueError
            caregiver.work_days = days
        except (TypeError, ValueError):
            errors["work_days"] = _("Working days are weekdays 0 (Monday) to 6 (Sunday).")
    for name in ("work_start", "work_end"):
        if name in values:
            parsed = _time(values[name])
            if parsed is None:
                errors[name] = _("Give a time such as 08:00.")
            else:
                setattr(caregiver, name, parsed)
    if (
        not errors.keys() & {"work_start", "work_end"}
        and caregiver.work_start
        and caregiver.work_end
    ) and caregiver.work_end <= caregiver.work_start:
        errors["work_end"] = _("Working hours must end after they start.")
    if "max_minutes_per_day" in values:
        try:
            caregiver.max_minutes_per_day = int(values["max_minutes_per_day"])
            if not 30 <= caregiver.max_minutes_per_day <= 720:
                raise ValueError
        except (TypeError, ValueError):
            errors["max_minutes_per_day"] = _("Between 30 and 720 minutes a day.")
    for name in ("home_lat", "home_lng"):
        if name in values:
            raw = values[name]
            try:
                setattr(caregiver, name, None if raw in ("", None) else Decimal(str(raw)))
            except InvalidOperation:
                errors[name] = _("Give the coordinate as a number.")
    if not errors.keys() & {"home_lat", "home_lng"}:
        for key, message in coordinate_errors(
            lat=caregiver.home_lat, lng=caregiver.home_lng, division=caregiver.provider.division
        ).items():
            errors["home_" + key] = message
    if "travel_mode" in values:
        if values["travel_mode"] not in TravelMode.values:
            errors["travel_mode"] = _("Choose a travel mode from the list.")
        else:
            caregiver.travel_mode = values["travel_mode"]
    if "status" in values:
        if values["status"] not in CaregiverStatus.values:
            errors["status"] = _("Choose a status from the list.")
        else:
            caregiver.status = values["status"]
    return errors, phone


@transaction.atomic
def caregiver_save(
    *,
    actor: Actor,
    provider: Organisation,
    caregiver: Caregiver | None = None,
    **values: Unpack[CaregiverValues],
) -> Caregiver:
    """Create or change a caregiver's profile in a provider."""
    require_perm(actor, Permission.MANAGE_CAREGIVERS)
    reject_unknown_fields(values, CAREGIVER_INPUT_FIELDS)
    if not actor.scope.covers(
        division_code=provider.division.code if provider.division_id else None,
        organisation_id=provider.pk,
    ):
        raise PermissionDenied("provider")
    created = caregiver is None
    if caregiver is None:
        caregiver = Caregiver(
            provider=provider,
            work_start=datetime.time(8),
            work_end=datetime.time(17),
            work_days=[0, 1, 2, 3, 4],
        )
    before = {} if created else snapshot(caregiver, CAREGIVER_FIELDS)
    user = values.pop("user", None)
    errors, phone = _caregiver_values(values, caregiver)
    if user is not None:
        if getattr(user, "role", None) != "caregiver" or user.organisation_id != provider.pk:
            errors["user"] = _("The login must be a caregiver's login of this provider.")
        elif Caregiver.objects.filter(user=user).exclude(pk=caregiver.pk).exists():
            errors["user"] = _("This login already belongs to another caregiver.")
        else:
            caregiver.user = user
    if errors:
        raise ValidationError(errors)
    if phone is not None:
        caregiver.phone_ciphertext = crypto.encrypt(phone) if phone else ""
        caregiver.phone_masked = f"{phone[:3]}****{phone[-4:]}" if phone else ""
    caregiver.save()
    changes = diff(before, snapshot(caregiver, CAREGIVER_FIELDS))
    if changes or created:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=caregiver,
            division_code=provider.division.code if provider.division_id else "",
            changes=changes,
        )
    return caregiver


@transaction.atomic
def certificate_add(
    *,
    actor: Actor,
    caregiver: Caregiver,
    qualification: str,
    number: str = "",
    issued_on: datetime.date | None = None,
    expires_on: datetime.date | None = None,
) -> Certificate:
    """Record a certificate a caregiver holds (with its expiry, which dispatch checks)."""
    require_perm(actor, Permission.MANAGE_CAREGIVERS)
    if caregiver.provider_id not in (actor.scope.organisation_ids or ()):
        raise PermissionDenied("caregiver")
    errors: dict[str, str] = {}
    if qualification not in Qualification.values:
        errors["qualification"] = _("Choose a qualification from the list.")
    if issued_on and expires_on and expires_on <= issued_on:
        errors["expires_on"] = _("A certificate expires after it was issued.")
    if errors:
        raise ValidationError(errors)
    certificate = Certificate.objects.create(
        caregiver=caregiver,
        qualification=qualification,
        number=str(number or "")[:40],
        issued_on=issued_on,
        expires_on=expires_on,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=certificate,
        changes={"certificate": [None, [qualification, str(expires_on or "")]]},
    )
    return certificate


def caregiver_phone(caregiver: Caregiver) -> str:
    return crypto.decrypt(caregiver.phone_ciphertext) if caregiver.phone_ciphertext else ""
