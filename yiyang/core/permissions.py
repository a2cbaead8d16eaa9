"""Roles and permissions: each permission lists the roles that hold it, checked in one place."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol, cast

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.scoping import Scope


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City administrator")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    STREET_OFFICER = "street_officer", _("Street officer")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    PROVIDER_MANAGER = "provider_manager", _("Provider manager")
    CAREGIVER = "caregiver", _("Caregiver")
    OPERATOR = "operator", _("Call-centre operator")
    ASSESSOR = "assessor", _("Assessor")
    AUDITOR = "auditor", _("Auditor (read-only)")
    FAMILY = "family", _("Elder / family member")
    # A third-party evaluator (第三方评估机构): sees only the evaluations assigned to them.
    EVALUATOR = "evaluator", _("Third-party evaluator")
    FINANCE_OFFICER = "finance_officer", _("Finance officer")
    # A canteen's counter staff (食堂收银员): runs the counter of their own canteen only.
    CANTEEN_STAFF = "canteen_staff", _("Canteen staff")


R = Role

# Roles whose reach of work records (visits, deliveries, assessments, evaluations) is the work
# assigned to them (see yiyang.core.scoping): the scope carries their user id.
WORKER_ROLES = frozenset({Role.CAREGIVER, Role.ASSESSOR, Role.EVALUATOR})


class Permission(enum.Enum):
    """A permission and the roles that hold it. Jurisdiction scope applies on top.

    Members that happen to list the same roles must stay distinct permissions (a plain Enum
    would make them aliases of one another), so each member's value is its own ordinal and the
    roles are kept beside it.
    """

    _roles: tuple[Role, ...]

    def __new__(cls, *roles: Role) -> Permission:
        member = object.__new__(cls)
        member._value_ = len(cls.__members__) + 1
        member._roles = roles
        return member

    # The table of roles per permission keeps its own layout (a row is read across).
    # fmt: off
    VIEW_DIVISIONS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
        R.OPERATOR, R.ASSESSOR, R.AUDITOR,
    )
    MANAGE_DIVISIONS = (R.CITY_ADMIN,)
    VIEW_ORGANISATIONS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
        R.PROVIDER_MANAGER, R.CAREGIVER, R.OPERATOR, R.ASSESSOR, R.AUDITOR,
    )
    CREATE_ORGANISATIONS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER)
    MANAGE_ORGANISATIONS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.PROVIDER_MANAGER,
    )
    EXPORT_DATA = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.AUDITOR,
    )
    VIEW_USERS = (R.CITY_ADMIN, R.AUDITOR)
    MANAGE_USERS = (R.CITY_ADMIN,)
    VIEW_AUDIT_LOG = (R.CITY_ADMIN, R.AUDITOR)
    # The elder registry. Organisation-scoped roles reach elders once services link them.
    VIEW_ELDERS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
        R.OPERATOR, R.ASSESSOR, R.AUDITOR,
    )
    MANAGE_ELDERS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER)
    IMPORT_ELDERS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER)
    REVIEW_DUPLICATES = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
    )
    # Unmasked sensitive fields (every unmasked view is written to the access log).
    SEE_ID_NUMBERS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.ASSESSOR,
    )
    SEE_PHONES = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.ASSESSOR,
        R.OPERATOR,
    )
    SEE_HEALTH = (R.COMMUNITY_WORKER, R.ASSESSOR, R.OPERATOR)
    VIEW_ACCESS_LOG = (R.CITY_ADMIN, R.AUDITOR)
    # Ability assessment. Assessors see what is assigned to them (and the unassigned
    # requests of their jurisdiction, to take them up); officers review as supervisors.
    VIEW_ASSESSMENTS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.ASSESSOR,
        R.AUDITOR,
    )
    REQUEST_ASSESSMENTS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.ASSESSOR,
    )
    SCHEDULE_ASSESSMENTS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.ASSESSOR,
    )
    CONDUCT_ASSESSMENTS = (R.ASSESSOR,)
    REVIEW_ASSESSMENTS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.ASSESSOR)
    MANAGE_ELIGIBILITY = (R.CITY_ADMIN,)
    # Devices and the alert centre. Provider roles hold none of these: an alert shows an
    # elder's health and contacts, and providers see only the elders they serve.
    VIEW_DEVICES = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.OPERATOR,
        R.AUDITOR,
    )
    MANAGE_DEVICES = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER)
    VIEW_ALERTS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.OPERATOR,
        R.AUDITOR,
    )
    HANDLE_ALERTS = (R.OPERATOR,)
    REVIEW_ALERTS = (R.CITY_ADMIN, R.DISTRICT_OFFICER)
    # Raising an alert by hand (a caregiver who finds an elder unwell at a visit).
    RAISE_ALERTS = (
        R.CITY_ADMIN, R.OPERATOR, R.COMMUNITY_WORKER, R.CAREGIVER, R.PROVIDER_MANAGER,
    )
    VIEW_ALERT_STATS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.OPERATOR, R.AUDITOR)
    VIEW_NOTIFICATIONS = (R.CITY_ADMIN, R.OPERATOR, R.AUDITOR)
    # An elder's own alert thresholds (heart rate, no-motion hours, night, safe zone): set by
    # those who know the elder and answer for the community, not by the call centre.
    SET_ALERT_THRESHOLDS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
    )

    # Home-care services: the service list, caregivers, orders, visits and their review.
    VIEW_SERVICE_LIST = tuple(Role)
    MANAGE_SERVICE_LIST = (R.CITY_ADMIN,)
    MANAGE_OFFERINGS = (R.CITY_ADMIN, R.PROVIDER_MANAGER)
    VIEW_CAREGIVERS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.PROVIDER_MANAGER, R.AUDITOR,
    )
    MANAGE_CAREGIVERS = (R.PROVIDER_MANAGER,)
    VIEW_VISITS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
        R.PROVIDER_MANAGER, R.CAREGIVER, R.OPERATOR, R.AUDITOR, R.FAMILY,
    )
    PLACE_ORDERS = (
        R.STREET_OFFICER, R.COMMUNITY_WORKER, R.OPERATOR, R.PROVIDER_MANAGER, R.FAMILY,
    )
    CANCEL_ORDERS = (
        R.STREET_OFFICER, R.COMMUNITY_WORKER, R.OPERATOR, R.PROVIDER_MANAGER, R.FAMILY,
    )
    # Change the computed payer split of an order (allowance, insurance, self-pay), with a reason.
    OVERRIDE_PAYER_SPLIT = (R.STREET_OFFICER, R.DISTRICT_OFFICER, R.CITY_ADMIN)
    DISPATCH_VISITS = (R.PROVIDER_MANAGER,)
    PERFORM_VISITS = (R.CAREGIVER,)
    CORRECT_VISITS = (R.PROVIDER_MANAGER,)
    REVIEW_VISITS = (R.PROVIDER_MANAGER, R.STREET_OFFICER, R.DISTRICT_OFFICER)
    RATE_VISITS = (R.FAMILY,)
    LINK_FAMILY = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER)
    # The facility network (issue 13): facilities, reach and coverage, where to build next,
    # construction projects. Coverage shows counts of elders, never who they are.
    VIEW_FACILITIES = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
        R.PROVIDER_MANAGER, R.OPERATOR, R.ASSESSOR, R.AUDITOR,
    )
    MANAGE_FACILITIES = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER)
    VIEW_COVERAGE = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.AUDITOR,
    )
    COMPUTE_COVERAGE = (R.CITY_ADMIN, R.DISTRICT_OFFICER)
    PLAN_FACILITIES = (R.CITY_ADMIN, R.DISTRICT_OFFICER)
    MANAGE_PROJECTS = (R.CITY_ADMIN, R.DISTRICT_OFFICER)

    # Indicators (the city's picture) and their targets. District officers set targets for
    # their district when INDICATOR_DISTRICT_TARGETS allows it.
    VIEW_INDICATORS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.OPERATOR,
        R.AUDITOR,
    )
    MANAGE_INDICATOR_TARGETS = (R.CITY_ADMIN, R.DISTRICT_OFFICER)
    # Indicators per provider (visits delivered, on time, missed, ratings, complaints):
    # officers rank the providers of their jurisdiction; a provider manager reads their
    # own organisation's figures only (the scope keeps them to it).
    VIEW_PROVIDER_FIGURES = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.OPERATOR,
        R.AUDITOR, R.PROVIDER_MANAGER,
    )

    # Meal assistance (issue 15). A canteen's counter staff see and record the meals of
    # their own canteen only; its provider manager also runs menus, rounds and food safety;
    # couriers are its caregivers. Family book for linked elders.
    VIEW_MEALS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
        R.PROVIDER_MANAGER, R.CAREGIVER, R.OPERATOR, R.AUDITOR, R.FAMILY, R.CANTEEN_STAFF,
    )
    MANAGE_CANTEENS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.PROVIDER_MANAGER)
    RECORD_MEALS = (R.PROVIDER_MANAGER, R.CANTEEN_STAFF)
    BOOK_MEALS = (
        R.STREET_OFFICER, R.COMMUNITY_WORKER, R.OPERATOR, R.PROVIDER_MANAGER, R.FAMILY,
    )
    DELIVER_MEALS = (R.PROVIDER_MANAGER, R.CAREGIVER)
    ISSUE_MEAL_CARDS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER)
    # The caregiver workforce (issue 17): the roster is read with VIEW_CAREGIVERS.
    IMPORT_ROSTER = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.PROVIDER_MANAGER)
    MANAGE_TRAINING = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.PROVIDER_MANAGER)
    ATTEND_TRAINING = (R.CAREGIVER,)
    MANAGE_WORKFORCE_SUBSIDIES = (R.CITY_ADMIN,)
    # Supervision (issue 16): star ratings, safety inspections, the complaint register.
    # Evaluators reach only the ratings assigned to them (supervision.selectors).
    VIEW_RATINGS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.PROVIDER_MANAGER, R.EVALUATOR,
        R.AUDITOR,
    )
    APPLY_RATINGS = (R.PROVIDER_MANAGER,)
    ASSIGN_EVALUATORS = (R.CITY_ADMIN, R.DISTRICT_OFFICER)
    SCORE_RATINGS = (R.EVALUATOR,)
    REVIEW_RATINGS = (R.DISTRICT_OFFICER,)
    PUBLISH_RATINGS = (R.CITY_ADMIN,)
    VIEW_INSPECTIONS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.PROVIDER_MANAGER, R.AUDITOR,
    )
    PLAN_INSPECTIONS = (R.CITY_ADMIN, R.DISTRICT_OFFICER)
    INSPECT = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER)
    RESPOND_RECTIFICATIONS = (R.PROVIDER_MANAGER,)
    VIEW_COMPLAINTS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER,
        R.PROVIDER_MANAGER, R.OPERATOR, R.AUDITOR,
    )
    REGISTER_COMPLAINTS = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.COMMUNITY_WORKER, R.OPERATOR,
    )
    HANDLE_COMPLAINTS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.PROVIDER_MANAGER)
    VIEW_SCORECARDS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.AUDITOR)
    # The working-day calendar the complaint and rectification deadlines count on.
    MANAGE_CALENDAR = (R.CITY_ADMIN,)
    # Government-purchased services (issue 14): budgets, contracts, monthly statements and
    # their workflow: the provider confirms, the street verifies, the district approves,
    # city finance releases and pays; an overspent budget line needs the city's override.
    VIEW_SETTLEMENT = (
        R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.PROVIDER_MANAGER,
        R.FINANCE_OFFICER, R.AUDITOR,
    )
    VIEW_BUDGETS = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.FINANCE_OFFICER, R.AUDITOR)
    MANAGE_BUDGETS = (R.CITY_ADMIN, R.FINANCE_OFFICER)
    VIEW_RELEASES = (R.CITY_ADMIN, R.FINANCE_OFFICER, R.AUDITOR)
    MANAGE_CONTRACTS = (R.CITY_ADMIN, R.DISTRICT_OFFICER)
    RUN_SETTLEMENT = (R.CITY_ADMIN, R.FINANCE_OFFICER)
    CONFIRM_STATEMENTS = (R.PROVIDER_MANAGER,)
    VERIFY_STATEMENTS = (R.STREET_OFFICER,)
    # A city administrator approves the statements of contracts the city itself signed.
    APPROVE_STATEMENTS = (R.DISTRICT_OFFICER, R.CITY_ADMIN)
    RELEASE_PAYMENTS = (R.FINANCE_OFFICER,)
    OVERRIDE_BUDGET = (R.CITY_ADMIN,)
    ADJUST_STATEMENTS = (R.DISTRICT_OFFICER,)
    VIEW_RISK = (R.CITY_ADMIN, R.DISTRICT_OFFICER, R.STREET_OFFICER, R.AUDITOR)
    # An elder's (or family's) monthly bill: services received, subsidy, self-pay due.
    VIEW_OWN_BILL = (R.FAMILY,)
    # The city's address register (地址库) that locates elders' homes.
    MANAGE_ADDRESS_REGISTER = (R.CITY_ADMIN, R.DISTRICT_OFFICER)
    # fmt: on

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(str(role) for role in self._roles)

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def title(self) -> str:
        """What the permission allows, in the user's language (pages show this)."""
        return str(PERMISSION_TITLES.get(self.name, self.label))


PERMISSION_TITLES = {
    "VIEW_DIVISIONS": _("View divisions"),
    "MANAGE_DIVISIONS": _("Manage divisions"),
    "VIEW_ORGANISATIONS": _("View organisations"),
    "CREATE_ORGANISATIONS": _("Register organisations"),
    "MANAGE_ORGANISATIONS": _("Edit organisations"),
    "EXPORT_DATA": _("Export lists"),
    "VIEW_USERS": _("View users"),
    "MANAGE_USERS": _("Manage users"),
    "VIEW_AUDIT_LOG": _("Read the audit log"),
    "VIEW_ELDERS": _("View elders"),
    "MANAGE_ELDERS": _("Register and edit elders"),
    "IMPORT_ELDERS": _("Import elder spreadsheets"),
    "REVIEW_DUPLICATES": _("Review possible duplicates"),
    "SEE_ID_NUMBERS": _("See full ID numbers"),
    "SEE_PHONES": _("See full phone numbers"),
    "SEE_HEALTH": _("See health information"),
    "VIEW_ACCESS_LOG": _("Read the access log"),
    "VIEW_ASSESSMENTS": _("View ability assessments"),
    "REQUEST_ASSESSMENTS": _("Request assessments"),
    "SCHEDULE_ASSESSMENTS": _("Schedule assessments"),
    "CONDUCT_ASSESSMENTS": _("Carry out assessments"),
    "REVIEW_ASSESSMENTS": _("Review and finalise assessments"),
    "MANAGE_ELIGIBILITY": _("Edit eligibility rules"),
    "VIEW_SERVICE_LIST": _("View the service list"),
    "MANAGE_SERVICE_LIST": _("Edit the service list"),
    "MANAGE_OFFERINGS": _("Edit a provider's services and areas"),
    "VIEW_CAREGIVERS": _("View caregivers"),
    "MANAGE_CAREGIVERS": _("Manage caregivers"),
    "VIEW_VISITS": _("View orders and visits"),
    "PLACE_ORDERS": _("Place orders and care plans"),
    "CANCEL_ORDERS": _("Cancel orders and visits"),
    "OVERRIDE_PAYER_SPLIT": _("Change an order's computed payer split, with a reason"),
    "DISPATCH_VISITS": _("Assign caregivers to visits"),
    "PERFORM_VISITS": _("Check in and out of visits"),
    "CORRECT_VISITS": _("Correct visit records"),
    "REVIEW_VISITS": _("Review flagged visits"),
    "RATE_VISITS": _("Rate visits and complain"),
    "LINK_FAMILY": _("Link family accounts to elders"),
    "VIEW_FACILITIES": _("View facilities"),
    "MANAGE_FACILITIES": _("Register and edit facilities"),
    "VIEW_COVERAGE": _("View the 15-minute service circle"),
    "COMPUTE_COVERAGE": _("Recompute reach and coverage"),
    "PLAN_FACILITIES": _("Plan where to build next"),
    "MANAGE_PROJECTS": _("Manage construction projects"),
    "VIEW_DEVICES": _("View devices"),
    "MANAGE_DEVICES": _("Register and bind devices"),
    "VIEW_ALERTS": _("View alerts"),
    "HANDLE_ALERTS": _("Answer and handle alerts"),
    "REVIEW_ALERTS": _("Review handled alerts"),
    "RAISE_ALERTS": _("Raise an alert by hand"),
    "VIEW_ALERT_STATS": _("View alert-centre statistics"),
    "VIEW_NOTIFICATIONS": _("Read the notification outbox"),
    "SET_ALERT_THRESHOLDS": _("Set an elder's alert thresholds"),
    "VIEW_INDICATORS": _("View indicators and the dashboard"),
    "MANAGE_INDICATOR_TARGETS": _("Set indicator targets"),
    "VIEW_PROVIDER_FIGURES": _("View service organisations' figures"),
    "VIEW_MEALS": _("View canteens, menus and meals"),
    "MANAGE_CANTEENS": _("Manage canteens, menus and food safety"),
    "RECORD_MEALS": _("Record meals at the counter"),
    "BOOK_MEALS": _("Book meals"),
    "DELIVER_MEALS": _("Deliver meals"),
    "ISSUE_MEAL_CARDS": _("Issue meal cards and diet needs"),
    "IMPORT_ROSTER": _("Import caregiver rosters"),
    "MANAGE_TRAINING": _("Run training sessions and record results"),
    "ATTEND_TRAINING": _("Check in to training sessions"),
    "MANAGE_WORKFORCE_SUBSIDIES": _("Set post-subsidy rules and compute entitlements"),
    "VIEW_RATINGS": _("View star ratings"),
    "APPLY_RATINGS": _("Apply for a star rating"),
    "ASSIGN_EVALUATORS": _("Assign evaluators to ratings"),
    "SCORE_RATINGS": _("Score ratings on site"),
    "REVIEW_RATINGS": _("Review ratings for the district"),
    "PUBLISH_RATINGS": _("Publish, lower or suspend star levels"),
    "VIEW_INSPECTIONS": _("View safety inspections"),
    "PLAN_INSPECTIONS": _("Plan safety inspections"),
    "INSPECT": _("Carry out inspections and close rectifications"),
    "RESPOND_RECTIFICATIONS": _("Respond to rectification orders"),
    "VIEW_COMPLAINTS": _("View the complaint register"),
    "REGISTER_COMPLAINTS": _("Register complaints"),
    "HANDLE_COMPLAINTS": _("Handle and answer complaints"),
    "VIEW_SCORECARDS": _("View the district scorecards"),
    "MANAGE_CALENDAR": _("Edit the working-day calendar (public holidays)"),
    "VIEW_SETTLEMENT": _("View contracts, statements and payments"),
    "VIEW_BUDGETS": _("View budget lines, spending and commitments"),
    "MANAGE_BUDGETS": _("Manage budget lines and allocations"),
    "VIEW_RELEASES": _("View payment releases and payment files"),
    "MANAGE_CONTRACTS": _("Manage purchase contracts"),
    "RUN_SETTLEMENT": _("Run the monthly settlement"),
    "CONFIRM_STATEMENTS": _("Confirm or dispute a provider's statements"),
    "VERIFY_STATEMENTS": _("Decide held lines and verify statements"),
    "APPROVE_STATEMENTS": _("Approve statements"),
    "RELEASE_PAYMENTS": _("Release payments and record them paid"),
    "OVERRIDE_BUDGET": _("Override a budget line's limit"),
    "ADJUST_STATEMENTS": _("Correct approved statements by adjustment"),
    "MANAGE_ADDRESS_REGISTER": _("Import the address register"),
    "VIEW_RISK": _("View fraud risk scores and the review queue"),
    "VIEW_OWN_BILL": _("See the monthly bill of a linked elder"),
}


# What a permission lets its holder read, for the rule of who must give a second factor
# (yiyang.accounts.choices.two_factor_roles). Every VIEW_/SEE_ permission is in one of the
# three sets (tests/accounts/test_two_factor_roles.py fails on a new one that is not).
# Unmasked personal data: full ID numbers, phone numbers, health information.
UNMASKED_READS = frozenset(
    {Permission.SEE_ID_NUMBERS, Permission.SEE_PHONES, Permission.SEE_HEALTH}
)
# Records about people (elders, users, staff, logins, visits, alerts, meals served) or the
# city's payments: held over the whole city, these read city-wide personal data.
PERSONAL_READS = frozenset(
    {
        Permission.VIEW_ELDERS,
        Permission.VIEW_USERS,
        Permission.VIEW_AUDIT_LOG,
        Permission.VIEW_ACCESS_LOG,
        Permission.VIEW_ASSESSMENTS,
        Permission.VIEW_VISITS,
        Permission.VIEW_CAREGIVERS,
        Permission.VIEW_DEVICES,
        Permission.VIEW_ALERTS,
        Permission.VIEW_NOTIFICATIONS,
        Permission.VIEW_MEALS,
        Permission.VIEW_COMPLAINTS,
        Permission.VIEW_SETTLEMENT,
        Permission.VIEW_BUDGETS,
        Permission.VIEW_RELEASES,
        Permission.VIEW_RISK,
        Permission.VIEW_OWN_BILL,
    }
)
# Reference data and figures about places and organisations, no person's record.
REFERENCE_READS = frozenset(
    {
        Permission.VIEW_DIVISIONS,
        Permission.VIEW_ORGANISATIONS,
        Permission.VIEW_SERVICE_LIST,
        Permission.VIEW_FACILITIES,
        Permission.VIEW_COVERAGE,
        Permission.VIEW_INDICATORS,
        Permission.VIEW_PROVIDER_FIGURES,
        Permission.VIEW_ALERT_STATS,
        Permission.VIEW_RATINGS,
        Permission.VIEW_INSPECTIONS,
        Permission.VIEW_SCORECARDS,
    }
)


class Actor(Protocol):
    """What the core needs to know of whoever acts: their role and their scope."""

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def role(self) -> str: ...

    @property
    def scope(self) -> Scope: ...

    @property
    def pk(self) -> Any: ...

    @property
    def username(self) -> str: ...


def actor_user(actor: Actor) -> Any:
    """The stored user behind an actor, for foreign keys such as ``placed_by``; None when
    the platform itself acts (a :class:`SystemActor` has no row)."""
    return actor if actor.pk is not None else None


def request_actor(request: Any) -> Actor:
    """The logged-in user of a request (page or API), as the actor services take."""
    return cast(Actor, request.user)


@dataclass(frozen=True)
class SystemActor:
    """The platform itself acting (seeding, imports run from the command line): a city
    administrator's permissions within the given scope, audited under ``username``."""

    scope: Scope
    username: str = "system"
    role: str = Role.CITY_ADMIN.value
    is_authenticated: bool = True
    is_active: bool = True
    pk: None = None


def has_perm(actor: Actor, permission: Permission) -> bool:
    return bool(actor.is_authenticated and actor.is_active and actor.role in permission.roles)


def require_perm(actor: Actor, permission: Permission) -> None:
    """Raise PermissionDenied (403) unless the actor's role holds the permission."""
    if not has_perm(actor, permission):
        raise PermissionDenied(permission.label)


def permissions_of(role: str) -> list[Permission]:
    return [permission for permission in Permission if role in permission.roles]
