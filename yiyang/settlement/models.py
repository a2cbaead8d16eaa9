"""Budgets, purchase contracts, monthly statements with their lines, holds and decisions,
adjustments and payment releases. Money is ``Decimal`` yuan with fen, never a float."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.model_mixins import (
    acting_user,
    choice_field,
    division_code_field,
    optional_link,
    scope_code,
    status_field,
    username_copy,
)
from yiyang.core.models import BaseModel, Division, DivisionArea
from yiyang.elders.models import Elder
from yiyang.organisations.models import Organisation, provider_link
from yiyang.services.models import Caregiver, ServiceItem
from yiyang.settlement.choices import (
    PAYEE_KINDS,
    ContractScope,
    Decision,
    FundPurpose,
    FundSource,
    HoldReason,
    LineStatus,
    StatementStatus,
)
from yiyang.workforce.models import Person

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
LINE_MONEY: dict[str, Any] = {"max_digits": 10, "decimal_places": 2}


class BudgetLine(BaseModel):
    """Money for one purpose in one year from one source (e.g. central home-care grant)."""

    city = models.ForeignKey(
        Division, verbose_name=_("city"), on_delete=models.PROTECT, related_name="+"
    )
    division_code = scope_code()
    source = models.CharField(_("source"), max_length=12, choices=FundSource.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    purpose = models.CharField(_("purpose"), max_length=16, choices=FundPurpose.choices)
    name = models.CharField(_("name"), max_length=100)
    amount_yuan = models.DecimalField(_("amount (yuan)"), **MONEY)

    class Meta:
        ordering = ("-year", "purpose", "source", "id")
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")

    def __str__(self) -> str:
        return self.name


class BudgetAllocation(BaseModel):
    """Part of a budget line given to a district."""

    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="allocations")
    district = models.ForeignKey(
        Division, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    division_code = scope_code()
    amount_yuan = models.DecimalField(_("amount (yuan)"), **MONEY)

    class Meta:
        ordering = ("division_code",)
        constraints = [
            models.UniqueConstraint(fields=("line", "district"), name="one_allocation_per_district")
        ]

    def __str__(self) -> str:
        return f"{self.line} · {self.district}"


class Contract(BaseModel):
    """A purchase contract between the bureau (or a district) and a provider."""

    # The performance terms and the monthly package: set on creation, editable, shown by
    # the API as they are stored.
    TERMS = (
        "on_time_target",
        "verified_target",
        "complaints_limit",
        "evaluation_target",
        "package_yuan",
        "package_min_visits",
    )

    number = models.CharField(_("contract number"), max_length=40)
    buyer = models.ForeignKey(
        Division, verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="+"
    )
    division_code = scope_code()
    provider = provider_link("contracts")
    budget_line = models.ForeignKey(
        BudgetLine,
        verbose_name=_("budget line"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    # Home care (visits at the unit prices of its items) or meals only (a canteen's
    # served meals): which sources' units the contract's statements take. Fixed once made.
    scope = choice_field(_("what it buys"), ContractScope.HOME_CARE, max_length=12)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    cap_yuan = models.DecimalField(_("cap (yuan)"), **MONEY)
    # Performance terms: targets the statements are read against.
    on_time_target = models.DecimalField(
        _("on-time rate target (%)"), max_digits=5, decimal_places=2, default=90
    )
    verified_target = models.DecimalField(
        _("verified share target (%)"), max_digits=5, decimal_places=2, default=95
    )
    complaints_limit = models.PositiveIntegerField(_("complaints allowed a month"), default=5)
    # The provider's latest third-party evaluation (supervision), as a share of its points.
    evaluation_target = models.DecimalField(
        _("evaluation score target (% of points)"), max_digits=5, decimal_places=2, default=80
    )
    document = models.FileField(_("signed contract"), upload_to="contracts/%Y/", blank=True)
    # A per-elder monthly package (instead of paying each visit at its unit price): the
    # amount per elder served a month, covering the contract's services, and the verified
    # visits a month that make it payable in full (fewer: pro-rated; none: held).
    package_yuan = models.DecimalField(
        _("monthly package per elder (yuan)"), null=True, blank=True, **LINE_MONEY
    )
    package_min_visits = models.PositiveSmallIntegerField(
        _("verified visits a month for the full package"), default=0
    )

    class Meta:
        ordering = ("-starts_on", "number")
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [models.Index(fields=("provider", "starts_on"), name="contract_provider_start")]

    def __str__(self) -> str:
        return self.number


class ContractItem(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+"
    )
    unit_price = models.DecimalField(_("unit price (yuan)"), **LINE_MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("contract", "item"), name="one_price_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.unit_price}"


class ContractDocument(BaseModel):
    """A signed contract document (PDF or image), encrypted at rest in the database and
    served only through the scoped, audited download view."""

    SEALED_FIELDS = ("data",)  # a Fernet token (bytes), re-encrypted by rotate-field-keys

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField(editable=False)
    uploaded_by = acting_user()
    uploaded_by_username = username_copy()

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")

    def __str__(self) -> str:
        return self.name


class PackageMonth(models.Model):
    """One elder's month under a package contract: the unit a package line bills (its
    ``source_id``), with the visits that month counted for it."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    visits = models.PositiveIntegerField(default=0)
    verified_visits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("contract", "elder", "month"), name="one_package_per_elder_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.elder_id} {self.month:%Y-%m}"


class StepReminder(models.Model):
    """A workflow deadline reminder sent for a statement's step (once per step and due
    date): the record that makes the scheduled sending idempotent."""

    statement = models.ForeignKey("Statement", on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(max_length=12)
    due_on = models.DateField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("statement", "step", "due_on"), name="one_reminder_per_step_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.step} {self.due_on}"


class ContractArea(DivisionArea):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="areas")

    def __str__(self) -> str:
        return str(self.division)


class Paid(BaseModel):
    """A payment made by the treasury: its reference and the day it was paid."""

    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        abstract = True


class Statement(Paid):
    """One provider's bill under one contract for one month, and where it stands."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="statements")
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    division_code = scope_code()
    month = models.DateField(_("month"))  # its first day
    status = status_field(StatementStatus.DRAFT, max_length=10)
    due_on = models.DateField(_("next step due"), null=True, blank=True)
    lines_count = models.PositiveIntegerField(_("lines"), default=0)
    price_yuan = models.DecimalField(_("value of services (yuan)"), default=0, **MONEY)
    allowance_yuan = models.DecimalField(_("allowance claimed (yuan)"), default=0, **MONEY)
    ltc_yuan = models.DecimalField(_("long-term-care insurance (yuan)"), default=0, **MONEY)
    self_pay_yuan = models.DecimalField(_("self-pay (yuan)"), default=0, **MONEY)
    held_yuan = models.DecimalField(_("held (yuan)"), default=0, **MONEY)
    withheld_yuan = models.DecimalField(_("reduced or rejected (yuan)"), default=0, **MONEY)
    payable_yuan = models.DecimalField(_("payable (yuan)"), default=0, **MONEY)
    release = models.ForeignKey(
        "Release", null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )

    class Meta:
        ordering = ("-month", "provider__name", "id")
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            models.UniqueConstraint(fields=("contract", "month"), name="one_statement_per_month")
        ]
        indexes = [models.Index(fields=("month", "status"), name="statement_month_status")]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.month:%Y-%m}"


def _unchecked_link(
    to: type[models.Model] | str,
    verbose_name: StrOrPromise | None = None,
    *,
    related_name: str = "+",
) -> models.ForeignKey[Any, Any]:
    """An optional key of a statement line, without an index or a database constraint
    (why: ``StatementLine``)."""
    return optional_link(
        to, verbose_name, related_name=related_name, db_index=False, db_constraint=False
    )


class StatementLine(models.Model):
    """One billed unit: a confirmed visit, a served meal, a caregiver's subsidy of a month
    (a payee line: ``person`` is paid, no elder), or an adjustment of a line of an approved
    statement. ``source_kind`` + ``source_id`` name where it came from."""

    # A city month writes a million lines: only the indexes the pages and rules read are
    # kept (the statement's own is the first column of two composite ones), and the keys
    # carry no database constraint: PostgreSQL would check each key of each line at commit,
    # four million lookups a month. Only the settlement run writes lines, inside the
    # statement's own transaction, copying keys from units that hold those constraints;
    # Django's CASCADE and PROTECT still govern deletes.
    statement = models.ForeignKey(
        Statement,
        on_delete=models.CASCADE,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
    external_id = models.UUIDField(unique=True)
    source_kind = models.CharField(_("source"), max_length=16)
    source_id = models.BigIntegerField()
    elder = _unchecked_link(Elder, _("elder"))
    person = _unchecked_link(Person, _("caregiver paid"))
    division_code = division_code_field()
    caregiver = _unchecked_link(Caregiver)
    item = _unchecked_link(ServiceItem)
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200)
    price_yuan = models.DecimalField(_("price (yuan)"), **LINE_MONEY)
    allowance_yuan = models.DecimalField(_("allowance claimed (yuan)"), **LINE_MONEY)
    ltc_yuan = models.DecimalField(_("long-term-care insurance (yuan)"), **LINE_MONEY)
    self_pay_yuan = models.DecimalField(_("self-pay (yuan)"), **LINE_MONEY)
    payable_yuan = models.DecimalField(_("payable (yuan)"), **LINE_MONEY)
    status = models.CharField(_("status"), max_length=8, choices=LineStatus.choices)
    adjusts = _unchecked_link("self", related_name="adjusted_by")
    dispute_reason = models.CharField(_("provider's dispute"), max_length=300, blank=True)

    class Meta:
        ordering = ("date", "id")
        indexes = [
            # A street officer's statements: "has a line of my street" is one index probe;
            # a statement's lines of a street, held or not, are a range of it.
            models.Index(fields=("statement", "division_code"), name="line_statement_division"),
            models.Index(
                fields=("adjusts",), name="line_adjusts", condition=Q(adjusts__isnull=False)
            ),
        ]
        constraints = [
            # A visit (or meal) is billed once, whatever the statement.
            models.UniqueConstraint(
                fields=("source_kind", "source_id"),
                name="line_billed_once",
                condition=~Q(source_kind="adjustment"),
            ),
            # A caregiver's subsidy of one kind is paid once a month, whatever the number
            # of employers and statements (the workforce's own rule, held here too).
            models.UniqueConstraint(
                fields=("source_kind", "person", "date"),
                name="line_payee_once_a_month",
                condition=Q(person__isnull=False, source_kind__in=PAYEE_KINDS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_kind} {self.source_id}"


class LineHold(models.Model):
    """A reason a line is held until a reviewer decides it."""

    line = models.ForeignKey(StatementLine, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(_("reason"), max_length=24, choices=HoldReason.choices)
    # Values for the words of the reason (dates, distances, amounts), never free text.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=("line", "reason"), name="one_hold_per_reason")
        ]

    def __str__(self) -> str:
        return self.reason


class LineDecision(models.Model):
    line = models.ForeignKey(StatementLine, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    amount_yuan = models.DecimalField(_("amount paid (yuan)"), **LINE_MONEY)
    reason = models.CharField(_("reason"), max_length=300)
    decided_by = acting_user()
    decided_by_username = username_copy()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return self.decision


class StreetVerification(models.Model):
    """A street office verified its part of a statement (the lines of its elders)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="verifications")
    street_code = division_code_field()
    verified_by = acting_user()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("statement", "street_code"), name="one_verification_per_street"
            )
        ]

    def __str__(self) -> str:
        return self.street_code


class Adjustment(BaseModel):
    """A correction of a line of an approved statement, settled in a later month."""

    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, related_name="adjustments")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    amount_yuan = models.DecimalField(_("change (yuan)"), **LINE_MONEY)
    reason = models.CharField(_("reason"), max_length=300)
    made_by = acting_user()
    settled_line = models.OneToOneField(
        StatementLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"{self.line_id} {self.amount_yuan}"


class BudgetOverride(BaseModel):
    """The city's recorded permission to go past a budget line for one statement."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="overrides")
    reason = models.CharField(_("reason"), max_length=300)
    made_by = acting_user()

    def __str__(self) -> str:
        return self.reason


class Release(Paid):
    """A payment release by city finance: one payment file for the treasury."""

    number = models.CharField(_("release number"), max_length=40, unique=True)
    budget_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="releases")
    division_code = scope_code()
    total_yuan = models.DecimalField(_("total (yuan)"), **MONEY)
    released_by = acting_user()

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("payment release")
        verbose_name_plural = _("payment releases")

    def __str__(self) -> str:
        return self.number


class RiskScore(models.Model):
    """A provider's (caregiver empty) or a caregiver's fraud risk for a month, explained."""

    month = models.DateField()
    provider = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    caregiver = models.ForeignKey(
        Caregiver, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    division_code = division_code_field()
    visits = models.PositiveIntegerField(default=0)
    score = models.DecimalField(max_digits=5, decimal_places=1)
    factors = models.JSONField(default=list)

    class Meta:
        ordering = ("-score", "id")
        indexes = [
            models.Index(fields=("month", "-score"), name="risk_month_score"),
            # The review queue joins each statement's provider score.
            models.Index(
                fields=("provider", "month"),
                name="risk_provider_month",
                condition=Q(caregiver__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.score}"
