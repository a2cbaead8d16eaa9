"""Who must give a second factor (issue 19, item 8): every role that can read city-wide
personal data or unmasked ID numbers, phones or health data, derived from the role's scope
and permissions, not listed by hand; demo mode asks no one and says so."""

from __future__ import annotations

from typing import Any

from yiyang.accounts.choices import (
    NONE,
    OPTIONAL,
    REQUIRED,
    reads_unmasked_or_city_wide,
    two_factor_roles,
)
from yiyang.accounts.services import role_requires_2fa, user_needs_otp
from yiyang.core.choices import DivisionLevel
from yiyang.core.permissions import (
    PERSONAL_READS,
    REFERENCE_READS,
    UNMASKED_READS,
    Permission,
    Role,
)
from yiyang.demo.services import DEMO_USERS, two_factor_notice

P = Permission


def test_the_derived_roles_are_those_reading_city_wide_or_unmasked_data() -> None:
    assert set(two_factor_roles()) == {
        "city_admin",  # the city, everything
        "district_officer",  # unmasked ID numbers and phones
        "street_officer",
        "community_worker",  # and health information
        "assessor",
        "operator",  # phones and health, city-wide
        "auditor",  # reads everything in a scope that may be the city
        "finance_officer",  # the city's payments
    }
    # Masked data of their own organisation's elders, their own assignments, their own bill.
    for role in ("provider_manager", "caregiver", "family", "evaluator", "canteen_staff"):
        assert not role_requires_2fa(role), role


def test_the_rule_reads_scope_and_permissions() -> None:
    anywhere = (REQUIRED, None, NONE)
    assert reads_unmasked_or_city_wide(anywhere, [P.VIEW_ELDERS])
    assert not reads_unmasked_or_city_wide(anywhere, [P.VIEW_RATINGS, P.VIEW_SERVICE_LIST])
    assert reads_unmasked_or_city_wide((REQUIRED, DivisionLevel.CITY, NONE), [P.VIEW_BUDGETS])
    # A street's officer reads one street; an organisation narrows any division.
    assert not reads_unmasked_or_city_wide((REQUIRED, DivisionLevel.STREET, NONE), [P.VIEW_ELDERS])
    assert not reads_unmasked_or_city_wide((OPTIONAL, None, REQUIRED), [P.VIEW_VISITS])
    assert not reads_unmasked_or_city_wide((NONE, None, NONE), [P.VIEW_VISITS])
    # Unmasked data needs a second factor at any scope.
    for permission in (P.SEE_ID_NUMBERS, P.SEE_PHONES, P.SEE_HEALTH):
        assert reads_unmasked_or_city_wide((OPTIONAL, None, REQUIRED), [permission])


def test_every_read_permission_is_classified() -> None:
    """A new VIEW_/SEE_ permission must say whether it reads people's data, so that the rule
    above cannot miss it."""
    reads = {p for p in Permission if p.name.startswith(("VIEW_", "SEE_"))}
    classified = UNMASKED_READS | PERSONAL_READS | REFERENCE_READS
    assert reads - classified == set()
    assert not (PERSONAL_READS & REFERENCE_READS)


def test_a_listed_setting_replaces_the_rule(settings: Any) -> None:
    settings.YIYANG_2FA_REQUIRED_ROLES = ["caregiver"]
    assert role_requires_2fa("caregiver") and not role_requires_2fa("city_admin")


def test_the_demo_lets_every_printed_login_in_and_says_so(settings: Any, db: None) -> None:
    from django.test import Client

    from tests.factories import PASSWORD, UserFactory

    settings.YIYANG_2FA_REQUIRED_ROLES = []  # demo mode's setting
    for username, role, _place in DEMO_USERS:
        user = UserFactory(username=f"demo-{username}", role=role)
        assert not user_needs_otp(user), username
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302 and response.url != "/accounts/2fa/", username
    notice = two_factor_notice()
    assert notice is not None
    assert notice.startswith("Two-factor authentication is not enforced in demo mode")
    for role in two_factor_roles():
        assert role in notice
    assert "provider_manager" not in notice


def test_outside_the_demo_there_is_no_notice(settings: Any) -> None:
    settings.YIYANG_2FA_REQUIRED_ROLES = None
    assert two_factor_notice() is None
    assert {str(r) for r in Role} > set(two_factor_roles())
