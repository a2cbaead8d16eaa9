"""Which workflow actions a statement allows now, and to whom: read by the page for its
buttons and by the services as their guard (one place decides)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.settlement.choices import FROZEN, LineStatus, StatementStatus
from yiyang.settlement.models import Statement, StatementLine
from yiyang.settlement.selectors import street_codes
from yiyang.settlement.selectors import street_of as _street_of

S = StatementStatus


class OfficeStep(NamedTuple):
    """A step an office takes on a statement of its own area: the permission it needs,
    whether the statement is ready for it, and the sentence for each refusal."""

    permission: Permission
    ready: Callable[[Statement], bool]
    not_yours: Promise | str
    outside: Promise | str
    not_ready: Promise | str


OFFICE_STEPS = {
    "approve": OfficeStep(
        Permission.APPROVE_STATEMENTS,
        lambda statement: statement.status == S.VERIFIED,
        gettext_lazy("Only the district approves statements."),
        gettext_lazy("The contract was signed by another office."),
        gettext_lazy("Every street must verify the statement first."),
    ),
    "release": OfficeStep(
        Permission.RELEASE_PAYMENTS,
        lambda statement: statement.status == S.APPROVED and statement.release_id is None,
        gettext_lazy("Only city finance releases payments."),
        gettext_lazy("The statement lies outside your city."),
        gettext_lazy("Only approved statements not yet released can be released."),
    ),
    "adjust": OfficeStep(
        Permission.ADJUST_STATEMENTS,
        lambda statement: statement.status in FROZEN,
        gettext_lazy("Only the district corrects an approved statement."),
        gettext_lazy("The contract was signed by another office."),
        gettext_lazy("Only an approved statement is corrected by adjustment; change the draft."),
    ),
    "override": OfficeStep(
        Permission.OVERRIDE_BUDGET,
        lambda statement: statement.status in (S.VERIFIED, S.APPROVED),
        gettext_lazy("Only the city overrides a budget limit."),
        gettext_lazy("The statement lies outside your city."),
        gettext_lazy("A budget override is recorded for a verified or approved statement."),
    ),
}


def open_lines(statement: Statement, street: str) -> int:
    """Lines of a street still held without a decision (disputed lines included)."""
    return statement.lines.filter(division_code__startswith=street, status=LineStatus.HELD).count()


def statement_problems(statement: Statement, actor: Actor, action: str) -> str | None:
    """Why ``actor`` may not take ``action`` on the statement now (None: they may)."""
    status = statement.status
    scope = actor.scope
    if action in ("confirm", "dispute"):
        if not has_perm(actor, Permission.CONFIRM_STATEMENTS):
            return _("Only the provider confirms its statement.")
        if scope.organisation_ids is None or statement.provider_id not in scope.organisation_ids:
            return _("This statement is another provider's.")
        if status != S.DRAFT:
            return _("The statement is no longer a draft.")
        return None
    if action in ("decide", "verify"):
        if not has_perm(actor, Permission.VERIFY_STATEMENTS):
            return _("Only a street office decides held lines and verifies.")
        street = _street_of(actor)
        if street is None or street not in street_codes(statement):
            return _("The statement has no lines of your street's elders.")
        if status != S.CONFIRMED:
            return _("The provider has not confirmed the statement, or it is verified already.")
        if statement.verifications.filter(street_code=street).exists():
            return _("Your street has verified its part already.")
        if action == "verify" and open_lines(statement, street):
            return _("Decide every held line of your street first.")
        return None
    office = OFFICE_STEPS.get(action)
    if office is not None:
        if not has_perm(actor, office.permission):
            return str(office.not_yours)
        if not scope.covers_division_code(statement.division_code):
            return str(office.outside)
        if not office.ready(statement):
            return str(office.not_ready)
        return None
    return _("Unknown action.")


ACTIONS = ("confirm", "verify", "approve", "release", "adjust", "override")


def statement_actions(statement: Statement, actor: Actor) -> list[str]:
    """The actions the page offers this actor on this statement."""
    return [a for a in ACTIONS if statement_problems(statement, actor, a) is None]


def line_decidable(line: StatementLine, actor: Actor) -> bool:
    street = _street_of(actor)
    return (
        line.status
        in (LineStatus.HELD, LineStatus.PAID_IN_FULL, LineStatus.REDUCED, LineStatus.REJECTED)
        and street is not None
        and line.division_code.startswith(street)
        and statement_problems(line.statement, actor, "decide") is None
    )
