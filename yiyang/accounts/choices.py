from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.permissions import (
    PERSONAL_READS,
    UNMASKED_READS,
    Permission,
    Role,
    permissions_of,
)

# What each role's scope must name: the division level it is tied to (None: any level),
# and whether an organisation is required, allowed or not used.
REQUIRED = "required"
OPTIONAL = "optional"
NONE = "none"

ROLE_SCOPE: dict[str, tuple[str, str | None, str]] = {
    # role: (division, division level, organisation)
    Role.CITY_ADMIN: (REQUIRED, DivisionLevel.CITY, NONE),
    Role.DISTRICT_OFFICER: (REQUIRED, DivisionLevel.DISTRICT, NONE),
    Role.STREET_OFFICER: (REQUIRED, DivisionLevel.STREET, NONE),
    Role.COMMUNITY_WORKER: (REQUIRED, DivisionLevel.COMMUNITY, NONE),
    Role.PROVIDER_MANAGER: (OPTIONAL, None, REQUIRED),
    Role.CAREGIVER: (OPTIONAL, None, REQUIRED),
    Role.OPERATOR: (REQUIRED, None, NONE),
    Role.ASSESSOR: (OPTIONAL, None, OPTIONAL),
    Role.AUDITOR: (REQUIRED, None, NONE),
    Role.FAMILY: (NONE, None, NONE),
    # Tied to the city (or district) they work in, so only officers there can assign them.
    Role.EVALUATOR: (REQUIRED, None, OPTIONAL),
    Role.FINANCE_OFFICER: (REQUIRED, DivisionLevel.CITY, NONE),
    # The organisation is the canteen's own: its staff reach that canteen and no other.
    Role.CANTEEN_STAFF: (NONE, None, REQUIRED),
}

ROLE_HELP = {
    Role.CITY_ADMIN: _("Runs the platform for the city: divisions, organisations, users."),
    Role.DISTRICT_OFFICER: _("Oversees one district or county."),
    Role.STREET_OFFICER: _("Oversees one street or township."),
    Role.COMMUNITY_WORKER: _("Registers and visits the elders of one community."),
    Role.PROVIDER_MANAGER: _("Runs a provider and the facilities it operates."),
    Role.CAREGIVER: _("Delivers visits for a provider."),
    Role.OPERATOR: _("Answers alarms and calls in the call centre."),
    Role.ASSESSOR: _("Assesses elders' abilities."),
    Role.AUDITOR: _("Reads everything in scope, changes nothing; reads the audit log."),
    Role.FAMILY: _("An elder or a family member acting for one."),
    Role.EVALUATOR: _("Scores the star-rating evaluations assigned to them, on site."),
    Role.FINANCE_OFFICER: _("Releases the city's payments to providers and records them paid."),
    Role.CANTEEN_STAFF: _("Runs the counter of one canteen: identifies elders, records meals."),
}


def reads_unmasked_or_city_wide(
    scope: tuple[str, str | None, str], permissions: Iterable[Permission]
) -> bool:
    """Whether a role with this scope (a ROLE_SCOPE entry) and these permissions reads
    unmasked personal data, or personal data across the whole city: its scope may be the
    city's division (tied to the city or to any level) and no organisation narrows it."""
    held = set(permissions)
    if held & UNMASKED_READS:
        return True
    division, level, organisation = scope
    may_be_the_city = division != NONE and level in (None, DivisionLevel.CITY)
    return may_be_the_city and organisation != REQUIRED and bool(held & PERSONAL_READS)


def two_factor_roles() -> tuple[str, ...]:
    """The roles that must give a second factor by default (issue 19): derived from each
    role's scope and permissions, so a role that gains such a read is covered at once."""
    return tuple(
        str(role)
        for role in Role
        if reads_unmasked_or_city_wide(ROLE_SCOPE[role], permissions_of(str(role)))
    )


# Session key caching whether this login must give a TOTP code.
OTP_SESSION_FLAG = "yiyang_needs_otp"

# HTTP status of a locked-out login (Too Many Requests), for the page and the API alike.
LOCKED_STATUS = 429
