"""Services that take field values as keyword arguments: each names what it accepts in a
TypedDict, which must equal the field list the service checks against (so the two cannot
drift), and each refuses an unknown field by name instead of dropping it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Collection
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest
from django.core.exceptions import ValidationError
from typing_extensions import Unpack

from tests.conftest import World
from yiyang.accounts.models import User
from yiyang.accounts.services import USER_FIELDS, user_create, user_update
from yiyang.alerts import rules as alert_rules
from yiyang.alerts.services.elder_settings import elder_alert_settings_set
from yiyang.assessments.models import EligibilityRule
from yiyang.assessments.services.eligibility import (
    RULE_FIELDS as ELIGIBILITY_RULE_FIELDS,
)
from yiyang.assessments.services.eligibility import (
    eligibility_rule_create,
    eligibility_rule_update,
)
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.permissions import Permission, SystemActor
from yiyang.core.scoping import Scope
from yiyang.core.services import DIVISION_FIELDS, division_create, division_update
from yiyang.devices.models import Device
from yiyang.devices.services.registry import REGISTRY_FIELDS, device_update
from yiyang.elders.models import Elder, ElderContact
from yiyang.elders.services.contacts import (
    CONTACT_FIELDS,
    contact_add,
    contact_update,
)
from yiyang.elders.services.registry import ELDER_FIELDS, elder_create, elder_update
from yiyang.facilities.models import Facility
from yiyang.facilities.services.facilities import (
    REGISTER_FIELDS,
    UPDATE_FIELDS,
    facility_register,
    facility_update,
)
from yiyang.meals.models import Canteen
from yiyang.meals.services.canteens import (
    CANTEEN_FIELDS,
    canteen_register,
    canteen_update,
)
from yiyang.organisations.services import (
    ORGANISATION_FIELDS,
    organisation_create,
    organisation_update,
)
from yiyang.services.services import (
    CAREGIVER_INPUT_FIELDS,
    ITEM_FIELDS,
    caregiver_save,
    service_item_save,
)
from yiyang.settlement.models import Contract
from yiyang.settlement.services.setup import (
    CONTRACT_TERM_FIELDS,
    contract_create,
    contract_update,
)
from yiyang.workforce.services.subsidies import (
    RULE_EDITABLE,
    subsidy_rule_save,
)


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


def _arguments(world: World, name: str) -> dict[str, Any]:
    """The arguments besides the field values that a service needs to reach its check."""
    organisation, community = world.org["station_XA1a"], world.div["XA1a"]
    elder = Elder(name="甲", division_code=community.code, community=community)
    facility = Facility(organisation=organisation, division_code=community.code)
    contract = {
        "number": "C-1",
        "buyer": world.div["XA"],
        "budget_line": None,
        "starts_on": datetime.date(2026, 1, 1),
        "ends_on": datetime.date(2026, 12, 31),
        "cap_yuan": Decimal("1000.00"),
        "prices": {},
        "areas": [community],
    }
    return {
        "": {},
        "division": {"division": community},
        "organisation": {"organisation": organisation},
        "password": {"password": "Long-enough-9"},
        "user": {"user": User(username="u")},
        "elder": {"elder": elder},
        "contact": {"contact": ElderContact(elder=elder)},
        "rule": {"rule": EligibilityRule()},
        "device": {"device": Device(division_code=community.code)},
        "city": {"city": world.div["X"]},
        "provider": {"provider": world.org["home_care"]},
        "register": {"organisation": organisation, "kind": "community_station"},
        "facility": {"facility": facility},
        "canteen": {"canteen": Canteen(organisation=organisation, division_code=community.code)},
        "contract": {"provider": world.org["home_care"], **contract},
        "contract_update": {"contract": Contract(), **contract},
    }[name]


P = Permission
CONTRACT_UPDATE_FIELDS = (*CONTRACT_TERM_FIELDS, "scope")
# service: (the fields it checks against, the permission it checks first, its other arguments)
SERVICES: dict[Callable[..., object], tuple[Collection[str], Permission, str]] = {
    division_create: (DIVISION_FIELDS, P.MANAGE_DIVISIONS, ""),
    division_update: (DIVISION_FIELDS, P.MANAGE_DIVISIONS, "division"),
    organisation_create: (ORGANISATION_FIELDS, P.CREATE_ORGANISATIONS, ""),
    organisation_update: (ORGANISATION_FIELDS, P.MANAGE_ORGANISATIONS, "organisation"),
    user_create: (USER_FIELDS, P.MANAGE_USERS, "password"),
    user_update: (USER_FIELDS, P.MANAGE_USERS, "user"),
    elder_create: (ELDER_FIELDS, P.MANAGE_ELDERS, ""),
    elder_update: (ELDER_FIELDS, P.MANAGE_ELDERS, "elder"),
    contact_add: (CONTACT_FIELDS, P.MANAGE_ELDERS, "elder"),
    contact_update: (CONTACT_FIELDS, P.MANAGE_ELDERS, "contact"),
    eligibility_rule_create: (ELIGIBILITY_RULE_FIELDS, P.MANAGE_ELIGIBILITY, ""),
    eligibility_rule_update: (ELIGIBILITY_RULE_FIELDS, P.MANAGE_ELIGIBILITY, "rule"),
    device_update: (REGISTRY_FIELDS, P.MANAGE_DEVICES, "device"),
    elder_alert_settings_set: (alert_rules.OVERRIDABLE, P.SET_ALERT_THRESHOLDS, "elder"),
    service_item_save: (ITEM_FIELDS, P.MANAGE_SERVICE_LIST, "city"),
    caregiver_save: (CAREGIVER_INPUT_FIELDS, P.MANAGE_CAREGIVERS, "provider"),
    facility_register: (REGISTER_FIELDS, P.MANAGE_FACILITIES, "register"),
    facility_update: (UPDATE_FIELDS, P.MANAGE_FACILITIES, "facility"),
    subsidy_rule_save: (RULE_EDITABLE, P.MANAGE_WORKFORCE_SUBSIDIES, "city"),
    canteen_register: (CANTEEN_FIELDS, P.MANAGE_CANTEENS, "facility"),
    canteen_update: (CANTEEN_FIELDS, P.MANAGE_CANTEENS, "canteen"),
    contract_create: (CONTRACT_TERM_FIELDS, P.MANAGE_CONTRACTS, "contract"),
    contract_update: (CONTRACT_UPDATE_FIELDS, P.MANAGE_CONTRACTS, "contract_update"),
}
BY_NAME = {function.__name__: function for function in SERVICES}


def _values_type(function: Callable[..., object]) -> Any:
    """The TypedDict in the service's ``**values: Unpack[...]`` annotation."""
    hint = get_type_hints(function)["values"]
    assert get_origin(hint) is Unpack
    return get_args(hint)[0]


@pytest.mark.parametrize("service", sorted(BY_NAME))
def test_typed_dict_names_exactly_the_fields_the_service_accepts(service: str) -> None:
    fields = SERVICES[BY_NAME[service]][0]
    typed = _values_type(BY_NAME[service])
    assert typed.__required_keys__ == frozenset()
    assert typed.__optional_keys__ == frozenset(fields)
    assert len(fields) == len(set(fields))


@pytest.mark.parametrize("service", sorted(BY_NAME))
def test_unknown_field_is_refused_by_name(world: World, service: str) -> None:
    _, permission, arguments = SERVICES[BY_NAME[service]]
    with pytest.raises(ValidationError) as exc:
        BY_NAME[service](actor=_actor(permission), **_arguments(world, arguments), colour="red")
    assert exc.value.message_dict == {"colour": ["colour is not a field that can be set here."]}


def test_no_service_takes_untyped_field_values() -> None:
    root = Path(__file__).resolve().parents[2] / "yiyang"
    modules = {*root.rglob("services.py"), *root.rglob("services/*.py")}
    untyped = sorted(
        str(path.relative_to(root))
        for path in modules
        if re.search(r"\*\*(values|terms|fields): Any", path.read_text(encoding="utf-8"))
    )
    assert untyped == []
