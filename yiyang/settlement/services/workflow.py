"""The statement workflow: the provider confirms (or disputes held lines), each street
decides its held lines and verifies, the district approves (within budget or with the
city's override), city finance releases and records the payment. An approved statement
never changes again: corrections are adjustments settled in a later month."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, has_perm
from yiyang.settlement.choices import PAYEE_KINDS, Decision, LineStatus, StatementStatus
from yiyang.settlement.lifecycle import statement_problems
from yiyang.settlement.models import (
    Adjustment,
    BudgetLine,
    BudgetOverride,
    LineDecision,
    Release,
    Statement,
    StatementLine,
    StreetVerification,
)
from yiyang.settlement.selectors import budget_figures, street_codes
from yiyang.settlement.services.settle import due_in, statement_totals
from yiyang.settlement.services.setup import money
from yiyang.workforce.services import subsidies_mark_paid

S = StatementStatus
ZERO = Decimal("0.00")


def _guard(statement: Statement, actor: Actor, action: str, permission: Permission) -> None:
    problem = statement_problems(statement, actor, action)
    if problem is None:
        return
    if not has_perm(actor, permission):
        raise PermissionDenied(problem)
    raise ValidationError(problem)


def _locked(statement: Statement) -> Statement:
    return Statement.objects.select_for_update().get(pk=statement.pk)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    return reason[:300]


def _audit(actor: Actor, obj: Any, division_code: str, **changes: Any) -> None:
    audit_change(actor, AuditAction.UPDATE, obj, changes, division_code=division_code)


@transaction.atomic
def line_dispute(*, actor: Actor, line: StatementLine, reason: str) -> StatementLine:
    """The provider contests a held line before confirming; the street reads the reason."""
    statement = _locked(line.statement)
    _guard(statement, actor, "dispute", Permission.CONFIRM_STATEMENTS)
    text = _reason(reason)
    if line.status != LineStatus.HELD:
        raise ValidationError({"line": _("Only a held line can be disputed.")})
    line.dispute_reason = text
    line.save(update_fields=["dispute_reason"])
    _audit(actor, statement, statement.division_code, line=str(line.external_id), dispute=text)
    return line


@transaction.atomic
def statement_confirm(*, actor: Actor, statement: Statement) -> Statement:
    statement = _locked(statement)
    _guard(statement, actor, "confirm", Permission.CONFIRM_STATEMENTS)
    statement.status = S.CONFIRMED
    statement.due_on = due_in("verify")
    statement.save(update_fields=["status", "due_on", "updated_at"])
    _audit(actor, statement, statement.division_code, status=[S.DRAFT, S.CONFIRMED])
    return statement


@transaction.atomic
def line_decide(
    *, actor: Actor, line: StatementLine, decision: str, reason: str, amount_yuan: Any = None
) -> StatementLine:
    """A street officer pays, reduces or rejects a held line of their street, with a reason."""
    statement = _locked(line.statement)
    _guard(statement, actor, "decide", Permission.VERIFY_STATEMENTS)
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    street = actor.scope.division_prefix or ""
    if not line.division_code.startswith(street) or not line.holds.exists():
        raise ValidationError({"line": _("Only held lines of your street's elders are decided.")})
    text = _reason(reason)
    errors: dict[str, str] = {}
    if decision == Decision.PAY:
        amount = line.allowance_yuan
    elif decision == Decision.REJECT:
        amount = ZERO
    elif decision == Decision.REDUCE:
        amount = money(amount_yuan, "amount_yuan", errors)
        if not errors and amount >= line.allowance_yuan:
            errors["amount_yuan"] = _(
                "A reduced amount is less than the %(claimed)s yuan claimed."
            ) % {"claimed": line.allowance_yuan}
    else:
        errors["decision"] = _("Choose pay, reduce or reject.")
        amount = ZERO
    if errors:
        raise ValidationError(errors)
    LineDecision.objects.create(
        line=line,
        decision=decision,
        amount_yuan=amount,
        reason=text,
        decided_by=actor_user(actor),
        decided_by_username=actor.username,
    )
    line.status, line.payable_yuan = decision, amount
    line.save(update_fields=["status", "payable_yuan"])
    statement_totals([statement])
    _audit(
        actor,
        statement,
        line.division_code,
        line=str(line.external_id),
        decision=decision,
        amount_yuan=str(amount),
        reason=text,
    )
    return line


@transaction.atomic
def statement_verify(*, actor: Actor, statement: Statement) -> Statement:
    """A street verifies its part; the last street's verification verifies the statement."""
    statement = _locked(statement)
    _guard(statement, actor, "verify", Permission.VERIFY_STATEMENTS)
    street = actor.scope.division_prefix or ""
    StreetVerification.objects.create(
        statement=statement, street_code=street, verified_by=actor_user(actor)
    )
    done = set(statement.verifications.values_list("street_code", flat=True))
    if done >= set(street_codes(statement)):
        statement.status = S.VERIFIED
        statement.due_on = due_in("approve")
        statement.save(update_fields=["status", "due_on", "updated_at"])
    _audit(actor, statement, street, verified_street=street, status=statement.status)
    return statement


def budget_problem(statement: Statement, amount: Decimal, *, include_committed: bool) -> str | None:
    """Why paying ``amount`` more under the statement's budget line would overspend it
    (or the district's allocation of it), or None."""
    line = statement.contract.budget_line
    checks = [(budget_figures(line), str(line))]
    district = statement.contract.division_code[:6]
    if line.allocations.filter(division_code=district).exists():
        checks.append(
            (
                budget_figures(line, district_code=district),
                _("%(line)s, district share") % {"line": line},
            )
        )
    for figures, label in checks:
        left = figures.amount - figures.spent - (figures.committed if include_committed else ZERO)
        if amount > left:
            return _("%(label)s has %(left)s yuan left; this needs %(amount)s yuan.") % {
                "label": label,
                "left": left,
                "amount": amount,
            }
    return None


@transaction.atomic
def budget_override_record(*, actor: Actor, statement: Statement, reason: str) -> BudgetOverride:
    """The city's recorded permission to go past the budget line for this statement."""
    statement = _locked(statement)
    _guard(statement, actor, "override", Permission.OVERRIDE_BUDGET)
    override = BudgetOverride.objects.create(
        statement=statement, reason=_reason(reason), made_by=actor_user(actor)
    )
    _audit(actor, statement, statement.division_code, budget_override=override.reason)
    return override


@transaction.atomic
def statement_approve(*, actor: Actor, statement: Statement) -> Statement:
    """The district approves: from now on the statement is immutable."""
    statement = _locked(statement)
    _guard(statement, actor, "approve", Permission.APPROVE_STATEMENTS)
    BudgetLine.objects.select_for_update().get(pk=statement.contract.budget_line_id)
    problem = budget_problem(statement, statement.payable_yuan, include_committed=True)
    if problem and not statement.overrides.exists():
        raise ValidationError(
            _("Over budget: %(problem)s The city must record an override first.")
            % {"problem": problem}
        )
    statement.status = S.APPROVED
    statement.due_on = due_in("release")
    statement.save(update_fields=["status", "due_on", "updated_at"])
    _audit(
        actor,
        statement,
        statement.division_code,
        status=[S.VERIFIED, S.APPROVED],
        payable_yuan=str(statement.payable_yuan),
        over_budget=bool(problem),
    )
    return statement


@transaction.atomic
def release_create(*, actor: Actor, statements: Sequence[Statement]) -> Release:
    """City finance releases approved statements of one budget line: one payment file."""
    if not statements:
        raise ValidationError(_("Choose at least one approved statement."))
    locked = list(
        Statement.objects.select_for_update()
        .filter(pk__in=[s.pk for s in statements])
        .select_related("contract__budget_line")
        .order_by("id")
    )
    for statement in locked:
        _guard(statement, actor, "release", Permission.RELEASE_PAYMENTS)
    lines = {s.contract.budget_line_id for s in locked}
    if len(lines) != 1:
        raise ValidationError(
            _("A release pays from one budget line; choose statements of one line.")
        )
    budget = BudgetLine.objects.select_for_update().get(pk=lines.pop())
    total = sum((s.payable_yuan for s in locked), ZERO)
    released = sum(
        (
            s.payable_yuan
            for s in Statement.objects.filter(
                contract__budget_line=budget, status__in=(S.RELEASED, S.PAID)
            )
        ),
        ZERO,
    )
    if released + total > budget.amount_yuan and not all(s.overrides.exists() for s in locked):
        raise ValidationError(
            _(
                "%(line)s has %(left)s yuan left to release; this release is %(total)s yuan. "
                "The city must record an override."
            )
            % {"line": budget, "left": budget.amount_yuan - released, "total": total}
        )
    today = timezone.localdate()
    count = Release.objects.filter(created_at__date=today).count() + 1
    release = Release.objects.create(
        number=f"R{today:%Y%m%d}-{count:03d}",
        budget_line=budget,
        division_code=budget.division_code,
        total_yuan=total,
        released_by=actor_user(actor),
    )
    for statement in locked:
        statement.status, statement.release = S.RELEASED, release
        statement.due_on = due_in("pay")
    Statement.objects.bulk_update(locked, ["status", "release", "due_on"])
    audit_change(
        actor,
        AuditAction.CREATE,
        release,
        {"total_yuan": str(total), "statements": [str(s.external_id) for s in locked]},
        division_code=budget.division_code,
    )
    return release


@transaction.atomic
def release_mark_paid(
    *, actor: Actor, release: Release, reference: str, paid_on: datetime.date | None = None
) -> Release:
    """The treasury paid: record its payment reference on the release and its statements."""
    if not has_perm(actor, Permission.RELEASE_PAYMENTS):
        raise PermissionDenied(_("Only city finance records payments."))
    release = Release.objects.select_for_update().get(pk=release.pk)
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": _("Give the treasury's payment reference.")})
    if release.paid_on is not None:
        raise ValidationError(_("This release is recorded as paid already."))
    release.payment_reference, release.paid_on = reference[:64], paid_on or timezone.localdate()
    release.save(update_fields=["payment_reference", "paid_on", "updated_at"])
    release.statements.update(
        status=S.PAID,
        payment_reference=release.payment_reference,
        paid_on=release.paid_on,
        due_on=None,
    )
    # Caregivers' subsidies paid (not rejected on review) are paid on their records too.
    paid = StatementLine.objects.filter(
        statement__release=release, source_kind__in=PAYEE_KINDS, payable_yuan__gt=0
    ).values_list("source_id", flat=True)
    subsidies_mark_paid(entitlement_ids=list(paid), at=timezone.now())
    _audit(actor, release, release.division_code, payment_reference=release.payment_reference)
    return release


@transaction.atomic
def adjustment_add(
    *, actor: Actor, line: StatementLine, amount_yuan: Any, reason: str
) -> Adjustment:
    """Correct a line of an approved statement: settled as a line of a later month."""
    statement = line.statement
    _guard(statement, actor, "adjust", Permission.ADJUST_STATEMENTS)
    errors: dict[str, str] = {}
    amount = money(amount_yuan, "amount_yuan", errors, positive=False)
    text = _reason(reason)
    if not errors and amount == 0:
        errors["amount_yuan"] = _("An adjustment changes the amount: give more or less than zero.")
    before = line.payable_yuan + sum((a.amount_yuan for a in line.adjustments.all()), ZERO)
    if not errors and not ZERO <= before + amount <= line.allowance_yuan:
        errors["amount_yuan"] = _(
            "After the adjustment the line would pay %(after)s yuan; it must stay between 0 "
            "and the %(claimed)s yuan claimed."
        ) % {"after": before + amount, "claimed": line.allowance_yuan}
    if errors:
        raise ValidationError(errors)
    adjustment = Adjustment.objects.create(
        line=line,
        contract=statement.contract,
        amount_yuan=amount,
        reason=text,
        made_by=actor_user(actor),
    )
    audit_change(
        actor,
        AuditAction.CREATE,
        adjustment,
        {"line": str(line.external_id), "amount_yuan": str(amount), "reason": text},
        division_code=line.division_code,
    )
    return adjustment
