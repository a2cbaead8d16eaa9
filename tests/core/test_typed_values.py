"""Services that take field values as keyword arguments: each names what it accepts in a
TypedDict, which must equal the field list the service checks against (so the two cannot
drift), and each refuses an unknown field by name instead of dropping it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Collection
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import World
from yiyang.accounts.models import User
from yiyang.accounts.services import USER_FIELDS, UserValues, user_create, user_update
from yiyang.alerts import rules as alert_rules
from yiyang.alerts.services.elder_settings import ThresholdValues, elder_alert_settings_set
from yiyang.assessments.models import EligibilityRule
from yiyang.assessments.services.eligibility import (
    RULE_FIELDS as ELIGIBILITY_RULE_FIELDS,
)
from yiyang.assessments.services.eligibility import (
    EligibilityRuleValues,
    eligibility_rule_create,
    eligibility_rule_update,
)
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.permissions import Permission, SystemActor
from yiyang.core.scoping import Scope
from yiyang.core.services import DIVISION_FIELDS, DivisionValues, division_create, division_update
from yiyang.devices.models import Device
from yiyang.devices.services.registry import REGISTRY_FIELDS, DeviceValues, device_update
from yiyang.elders.models import Elder, ElderContact
from yiyang.elders.services.contacts import (
    CONTACT_FIELDS,
    ContactValues,
    contact_add,
    contact_update,
)
from yiyang.elders.services.registry import ELDER_FIELDS, ElderValues, elder_create, elder_update
from yiyang.facilities.models import Facility
from yiyang.facilities.services.facilities import (
    REGISTER_FIELDS,
    UPDATE_FIELDS,
    FacilityUpdateValues,
    FacilityValues,
    facility_register,
    facility_update,
)
from yiyang.meals.models import Canteen
from yiyang.meals.services.canteens import (
    CANTEEN_FIELDS,
    CanteenValues,
    canteen_register,
    canteen_update,
)
from yiyang.organisations.services import (
    ORGANISATION_FIELDS,
    OrganisationValues,
    organisation_create,
    organisation_update,
)
from yiyang.services.services import (
    CAREGIVER_INPUT_FIELDS,
    ITEM_FIELDS,
    CaregiverValues,
    ServiceItemValues,
    caregiver_save,
    service_item_save,
)
from yiyang.settlement.models import Contract
from yiyang.settlement.services.setup import (
    CONTRACT_TERM_FIELDS,
    ContractTerms,
    ContractUpdateTerms,
    contract_create,
    contract_update,
)
from yiyang.workforce.services.subsidies import (
    RULE_EDITABLE,
    SubsidyRuleValues,
    subsidy_rule_save,
)

# (TypedDict, the field list its service checks against)
ACCEPTED: dict[str, tuple[Any, Collection[str]]] = {
    "division": (DivisionValues, DIVISION_FIELDS),
    "organisation": (OrganisationValues, ORGANISATION_FIELDS),
    "user": (UserValues, USER_FIELDS),
    "elder": (ElderValues, ELDER_FIELDS),
    "contact": (ContactValues, CONTACT_FIELDS),
    "eligibility_rule": (EligibilityRuleValues, ELIGIBILITY_RULE_FIELDS),
    "device": (DeviceValues, REGISTRY_FIELDS),
    "thresholds": (ThresholdValues, alert_rules.OVERRIDABLE),
    "service_item": (ServiceItemValues, ITEM_FIELDS),
    "caregiver": (CaregiverValues, CAREGIVER_INPUT_FIELDS),
    "facility_register": (FacilityValues, REGISTER_FIELDS),
    "facility_update": (FacilityUpdateValues, UPDATE_FIELDS),
    "subsidy_rule": (SubsidyRuleValues, RULE_EDITABLE),
    "canteen": (CanteenValues, CANTEEN_FIELDS),
    "contract_create": (ContractTerms, CONTRACT_TERM_FIELDS),
    "contract_update": (ContractUpdateTerms, (*CONTRACT_TERM_FIELDS, "scope")),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_typed_dict_names_exactly_the_fields_the_service_accepts(name: str) -> None:
    typed, fields = ACCEPTED[name]
    assert typed.__required_keys__ == frozenset()
    assert typed.__optional_keys__ == frozenset(fields)
    assert len(fields) == len(set(fields))


def test_reject_unknown_fields_names_each_unknown_key() -> None:
    reject_unknown_fields({"name": "x"}, ("name", "code"))
    with pytest.raises(ValidationError) as exc:
        reject_unknown_fields({"name": "x", "colour": 1, "age": 2}, ("name",))
    assert exc.value.message_dict == {
        "age": ["age is not a field that can be set here."],
        "colour": ["colour is not a field that can be set here."],
    }


def _actor(permission: Permission) -> SystemActor:
    """An actor whose role holds ``permission``, over the whole city X."""
    return SystemActor(Scope(division_prefix="4191"), username="typed", role=permission.roles[0])


Call = Callable[[World, SystemActor, dict[str, Any]], object]


def _elder(world: World) -> Elder:
    return Elder(name="甲", division_code=world.div["XA1a"].code, community=world.div["XA1a"])


def _facility(world: World) -> Facility:
    organisation = world.org["station_XA1a"]
    return Facility(organisation=organisation, division_code=organisation.division.code)


def _canteen(world: World) -> Canteen:
    organisation = world.org["station_XA1a"]
    return Canteen(organisation=organisation, division_code=organisation.division.code)


def _contract_args(world: World) -> dict[str, Any]:
    return {
        "number": "C-1",
        "buyer": world.div["XA"],
        "budget_line": None,
        "starts_on": datetime.date(2026, 1, 1),
        "ends_on": datetime.date(2026, 12, 31),
        "cap_yuan": Decimal("1000.00"),
        "prices": {},
        "areas": [world.div["XA1a"]],
    }


# service -> (the permission it checks first, how to call it with extra keywords)
SERVICES: dict[str, tuple[Permission, Call]] = {
    "division_create": (
        Permission.MANAGE_DIVISIONS,
        lambda w, a, v: division_create(actor=a, **v),
    ),
    "division_update": (
        Permission.MANAGE_DIVISIONS,
        lambda w, a, v: division_update(actor=a, division=w.div["XA1a"], **v),
    ),
    "organisation_create": (
        Permission.CREATE_ORGANISATIONS,
        lambda w, a, v: organisation_create(actor=a, **v),
    ),
    "organisation_update": (
        Permission.MANAGE_ORGANISATIONS,
        lambda w, a, v: organisation_update(actor=a, organisation=w.org["station_XA1a"], **v),
    ),
    "user_create": (
        Permission.MANAGE_USERS,
        lambda w, a, v: user_create(actor=a, password="Long-enough-9", **v),
    ),
    "user_update": (
        Permission.MANAGE_USERS,
        lambda w, a, v: user_update(actor=a, user=User(username="u"), **v),
    ),
    "elder_create": (Permission.MANAGE_ELDERS, lambda w, a, v: elder_create(actor=a, **v)),
    "elder_update": (
        Permission.MANAGE_ELDERS,
        lambda w, a, v: elder_update(actor=a, elder=_elder(w), **v),
    ),
    "contact_add": (
        Permission.MANAGE_ELDERS,
        lambda w, a, v: contact_add(actor=a, elder=_elder(w), **v),
    ),
    "contact_update": (
        Permission.MANAGE_ELDERS,
        lambda w, a, v: contact_update(actor=a, contact=ElderContact(elder=_elder(w)), **v),
    ),
    "eligibility_rule_create": (
        Permission.MANAGE_ELIGIBILITY,
        lambda w, a, v: eligibility_rule_create(actor=a, **v),
    ),
    "eligibility_rule_update": (
        Permission.MANAGE_ELIGIBILITY,
        lambda w, a, v: eligibility_rule_update(actor=a, rule=EligibilityRule(), **v),
    ),
    "device_update": (
        Permission.MANAGE_DEVICES,
        lambda w, a, v: device_update(
            actor=a, device=Device(division_code=w.div["XA1a"].code), **v
        ),
    ),
    "elder_alert_settings_set": (
        Permission.SET_ALERT_THRESHOLDS,
        lambda w, a, v: elder_alert_settings_set(actor=a, elder=_elder(w), **v),
    ),
    "service_item_save": (
        Permission.MANAGE_SERVICE_LIST,
        lambda w, a, v: service_item_save(actor=a, city=w.div["X"], **v),
    ),
    "caregiver_save": (
        Permission.MANAGE_CAREGIVERS,
        lambda w, a, v: caregiver_save(actor=a, provider=w.org["home_care"], **v),
    ),
    "facility_register": (
        Permission.MANAGE_FACILITIES,
        lambda w, a, v: facility_register(
            actor=a, organisation=w.org["station_XA1a"], kind="community_station", **v
        ),
    ),
    "facility_update": (
        Permission.MANAGE_FACILITIES,
        lambda w, a, v: facility_update(actor=a, facility=_facility(w), **v),
    ),
    "subsidy_rule_save": (
        Permission.MANAGE_WORKFORCE_SUBSIDIES,
        lambda w, a, v: subsidy_rule_save(actor=a, city=w.div["X"], **v),
    ),
    "canteen_register": (
        Permission.MANAGE_CANTEENS,
        lambda w, a, v: canteen_register(actor=a, facility=_facility(w), **v),
    ),
    "canteen_update": (
        Permission.MANAGE_CANTEENS,
        lambda w, a, v: canteen_update(actor=a, canteen=_canteen(w), **v),
    ),
    "contract_create": (
        Permission.MANAGE_CONTRACTS,
        lambda w, a, v: contract_create(
            actor=a, provider=w.org["home_care"], **_contract_args(w), **v
        ),
    ),
    "contract_update": (
        Permission.MANAGE_CONTRACTS,
        lambda w, a, v: contract_update(actor=a, contract=Contract(), **_contract_args(w), **v),
    ),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_unknown_field_is_refused_by_name(world: World, service: str) -> None:
    permission, call = SERVICES[service]
    with pytest.raises(ValidationError) as exc:
        call(world, _actor(permission), {"colour": "red"})
    assert exc.value.message_dict == {"colour": ["colour is not a field that can be set here."]}


def test_no_service_takes_untyped_field_values() -> None:
    root = Path(__file__).resolve().parents[2] / "yiyang"
    untyped = [
        str(path.relative_to(root))
        for path in root.rglob("services*.py")
        if re.search(r"\*\*(values|terms|fields): Any", path.read_text(encoding="utf-8"))
    ] + [
        str(path.relative_to(root))
        for path in root.rglob("services/*.py")
        if re.search(r"\*\*(values|terms|fields): Any", path.read_text(encoding="utf-8"))
    ]
    assert untyped == []
