"""Scoped reads of budgets, contracts, statements and releases, and the facts the
settlement needs from other apps (registry history, entitlements, feedback)."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from yiyang.assessments.choices import EntitlementKind, EntitlementUnit
from yiyang.assessments.models import EligibilityRule
from yiyang.assessments.services import entitlements_for
from yiyang.core.filtering import narrowed
from yiyang.core.lookups import get_or_404
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Actor, Permission, has_perm
from yiyang.elders.models import Elder
from yiyang.settlement.choices import StatementStatus
from yiyang.settlement.models import (
    BudgetLine,
    Contract,
    ContractDocument,
    LineHold,
    Release,
    RiskScore,
    Statement,
    StatementLine,
)
from yiyang.settlement.permissions import (
    budget_scoped,
    contract_scoped,
    line_scoped,
    release_scoped,
    risk_scoped,
    statement_scoped,
)
from yiyang.supervision.models import Complaint
from yiyang.visits.models import VisitRating

ZERO = Decimal("0.00")
CITY_CODE = 4
COMMITTED = (StatementStatus.APPROVED, StatementStatus.RELEASED)


def budget_list(*, actor: Actor) -> QuerySet[BudgetLine]:
    return budget_scoped(actor, BudgetLine.objects.select_related("city")).prefetch_related(
        "allocations__district"
    )


def budget_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> BudgetLine:
    return get_or_404(budget_list(actor=actor), external_id=external_id)


@dataclass(frozen=True)
class BudgetFigures:
    """A budget line's money, live: what is paid, what approved statements commit."""

    amount: Decimal
    spent: Decimal
    committed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.spent - self.committed


def budget_figures(line: BudgetLine, *, district_code: str | None = None) -> BudgetFigures:
    """Spent and committed against a line (or its allocation to one district)."""
    statements = Statement.objects.filter(contract__budget_line=line)
    amount = line.amount_yuan
    if district_code is not None:
        allocation = line.allocations.filter(division_code=district_code).first()
        if allocation is None:
            return BudgetFigures(ZERO, ZERO, ZERO)
        amount = allocation.amount_yuan
        statements = statements.filter(contract__division_code__startswith=district_code)
    sums = statements.aggregate(
        spent=Coalesce(Sum("payable_yuan", filter=_status(StatementStatus.PAID)), ZERO),
        committed=Coalesce(Sum("payable_yuan", filter=_status(*COMMITTED)), ZERO),
    )
    cent = Decimal("0.01")
    return BudgetFigures(amount, sums["spent"].quantize(cent), sums["committed"].quantize(cent))


def _status(*statuses: str) -> Q:
    return Q(status__in=statuses)


def contract_list(*, actor: Actor) -> QuerySet[Contract]:
    return contract_scoped(
        actor, Contract.objects.select_related("provider", "buyer", "budget_line")
    ).prefetch_related("items__item", "areas__division")


def contract_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Contract:
    return get_or_404(contract_list(actor=actor), external_id=external_id)


def contract_documents(*, actor: Actor, contract: Contract) -> QuerySet[ContractDocument]:
    """The documents of a contract the actor may see (found through ``contract_list``)."""
    return ContractDocument.objects.filter(contract=contract).defer("data")


def contract_document_get_for_actor(
    *, actor: Actor, external_id: uuid.UUID | str
) -> ContractDocument:
    """A document of a contract in the actor's reach (a provider its own contracts', an
    office those it signed or that serve its division); else 404, as if there were none."""
    return get_or_404(
        ContractDocument.objects.select_related("contract").filter(
            contract__in=contract_scoped(actor, Contract.objects.all())
        ),
        external_id=external_id,
    )


def statement_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Statement]:
    queryset = statement_scoped(
        actor, Statement.objects.select_related("contract", "provider", "release")
    )
    return narrowed(queryset, filters, {"month": "month", "status": "status"})


def statement_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Statement:
    return get_or_404(statement_list(actor=actor), external_id=external_id)


def statement_lines(
    *, actor: Actor, statement: Statement, held_only: bool = False
) -> QuerySet[StatementLine]:
    """The lines of a statement the actor may see, with holds and decisions."""
    queryset = line_scoped(actor, statement.lines.all()).select_related(
        "elder", "person", "caregiver", "item", "adjusts"
    )
    if held_only:
        queryset = queryset.filter(holds__isnull=False).distinct()
    return queryset.prefetch_related(
        Prefetch("holds", queryset=LineHold.objects.order_by("id")), "decisions"
    )


def line_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> StatementLine:
    return get_or_404(
        line_scoped(actor, StatementLine.objects.select_related("statement__contract")),
        external_id=external_id,
    )


def release_list(*, actor: Actor) -> QuerySet[Release]:
    return release_scoped(actor, Release.objects.select_related("budget_line"))


def release_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Release:
    return get_or_404(release_list(actor=actor), external_id=external_id)


def release_statements(release: Release) -> QuerySet[Statement]:
    return release.statements.select_related("provider", "contract").order_by(
        "provider__name", "id"
    )


def street_codes(statement: Statement) -> list[str]:
    """The streets (9-digit code prefixes) whose elders have lines on the statement."""
    codes = statement.lines.values_list("division_code", flat=True).distinct()
    return sorted({code[:9] for code in codes})


def review_queue(*, actor: Actor, month: datetime.date | None = None) -> QuerySet[Statement]:
    """Statements awaiting a street's or district's decision, riskiest provider first
    (the provider's month score joined in SQL, so a page is one LIMIT query)."""
    risk = RiskScore.objects.filter(
        provider_id=OuterRef("provider_id"), month=OuterRef("month"), caregiver__isnull=True
    ).order_by("-score", "id")
    queryset = statement_list(actor=actor).filter(
        status__in=(StatementStatus.CONFIRMED, StatementStatus.VERIFIED)
    )
    if month is not None:
        queryset = queryset.filter(month=month)
    return queryset.annotate(
        risk_score=Subquery(risk.values("score")[:1]), risk_id=Subquery(risk.values("id")[:1])
    ).order_by(F("risk_score").desc(nulls_last=True), "id")


def risk_rows(statements: Sequence[Statement]) -> list[dict[str, Any]]:
    """A page of the review queue with each statement's provider score, in one query."""
    scores = RiskScore.objects.in_bulk([getattr(s, "risk_id", None) for s in statements])
    return [
        {"statement": s, "risk": scores.get(getattr(s, "risk_id", None) or 0)} for s in statements
    ]


def street_of(actor: Actor) -> str | None:
    """The street (9-digit prefix) a street officer works for, else None."""
    prefix = actor.scope.division_prefix
    return prefix if prefix is not None and len(prefix) == 9 else None


# The step each status waits for, and the permission of the role that takes it.
NEXT_STEP = {
    StatementStatus.DRAFT: Permission.CONFIRM_STATEMENTS,
    StatementStatus.CONFIRMED: Permission.VERIFY_STATEMENTS,
    StatementStatus.VERIFIED: Permission.APPROVE_STATEMENTS,
    StatementStatus.APPROVED: Permission.RELEASE_PAYMENTS,
    StatementStatus.RELEASED: Permission.RELEASE_PAYMENTS,
}
REMIND_DAYS = 2


def steps_due(
    *, actor: Actor, today: datetime.date | None = None, limit: int = 50
) -> list[Statement]:
    """Statements waiting for this actor's step whose deadline is within two days or
    past: the reminders on the statement list and the officer's home page."""
    today = today or timezone.localdate()
    statuses = [status for status, perm in NEXT_STEP.items() if has_perm(actor, perm)]
    if not statuses:
        return []
    due = statement_list(actor=actor).filter(
        status__in=statuses, due_on__lte=today + datetime.timedelta(days=REMIND_DAYS)
    )
    street = street_of(actor)
    if street is not None:
        due = due.exclude(verifications__street_code=street)
    return list(due.order_by("due_on", "id")[:limit])


def risk_list(*, actor: Actor, month: datetime.date) -> QuerySet[RiskScore]:
    return risk_scoped(actor, RiskScore.objects.filter(month=month)).select_related(
        "provider", "caregiver"
    )


def provider_risk(*, statement: Statement) -> list[RiskScore]:
    """The provider's and its caregivers' scores for the statement's month."""
    return list(
        RiskScore.objects.filter(month=statement.month, provider_id=statement.provider_id)
        .select_related("caregiver")
        .order_by("caregiver_id", "-score")[:50]
    )


# ---- facts from other apps -------------------------------------------------------------


def elder_status_timelines(
    elder_ids: Collection[int],
) -> dict[int, list[tuple[datetime.date, str]]]:
    """Each elder's registry status over time, from the registry's history (the audit
    trail of the record) and its current status and dates."""
    elders = {
        e["id"]: e
        for e in Elder.objects.filter(id__in=elder_ids).values(
            "id", "external_id", "status", "status_changed_on", "deceased_on"
        )
    }
    by_external = {str(e["external_id"]): i for i, e in elders.items()}
    changes: dict[int, list[tuple[datetime.date, str | None, str]]] = defaultdict(list)
    keys = list(by_external)
    for i in range(0, len(keys), 2000):
        events = AuditEvent.objects.filter(
            object_type="elders.elder", object_id__in=keys[i : i + 2000], changes__has_key="status"
        ).values_list("object_id", "at", "changes")
        for object_id, at, change in events:
            value = change["status"]
            old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
            if not isinstance(new, str):
                continue
            since = (change.get("status_changed_on") or [None, None])[1] or (
                change.get("deceased_on") or [None, None]
            )[1]
            day = datetime.date.fromisoformat(since) if isinstance(since, str) else at.date()
            changes[by_external[object_id]].append((day, old, new))
    timelines: dict[int, list[tuple[datetime.date, str]]] = {}
    for elder_id, elder in elders.items():
        found = sorted(changes.get(elder_id, []))
        if found:
            initial = found[0][1] or found[0][2]
            timeline = [(datetime.date.min, initial)] + [(d, new) for d, _o, new in found]
        else:
            timeline = [(datetime.date.min, "active")]
        # The record's current status and date stand even where no history row says so
        # (records loaded before the history existed).
        if elder["status"] != timeline[-1][1]:
            since = elder["deceased_on"] or elder["status_changed_on"] or datetime.date.min
            timeline = [t for t in timeline if t[0] < since] + [(since, elder["status"])]
        timelines[elder_id] = timeline
    return timelines


def monthly_entitlements(
    elder_ids: Collection[int], day: datetime.date
) -> dict[int, Decimal | None]:
    """Each elder's home-care allowance a month under the eligibility rules on ``day``."""
    rules = list(EligibilityRule.objects.filter(is_active=True))
    found: dict[int, Decimal | None] = {}
    ids = list(elder_ids)
    # The rules read only these four facts of an elder: elders alike are judged once.
    judged: dict[tuple[Any, ...], Decimal | None] = {}
    facts = ("ability_level", "status", "birth_date", "economic_status")
    for i in range(0, len(ids), 5000):
        for elder_id, *values in Elder.objects.filter(id__in=ids[i : i + 5000]).values_list(
            "id", *facts
        ):
            key = tuple(values)
            if key not in judged:
                elder = Elder(**dict(zip(facts, values, strict=True)))
                amounts = [
                    e.rule.amount_yuan
                    for e in entitlements_for(elder=elder, today=day, rules=rules)
                    if e.rule.entitlement == EntitlementKind.HOME_CARE_ALLOWANCE
                    and e.rule.unit == EntitlementUnit.PER_MONTH
                    and e.rule.amount_yuan is not None
                ]
                judged[key] = sum(amounts, ZERO) if amounts else None
            found[elder_id] = judged[key]
    return found


@dataclass
class Feedback:
    ratings: list[int]
    complaints: int


def feedback_by_caregiver(
    first: datetime.date, last: datetime.date, provider_ids: Sequence[int] | None = None
) -> dict[tuple[int, int | None], Feedback]:
    """Ratings and complaints on the month's visits, by (provider, caregiver). The one
    place that reads complaints and ratings; complaints come from the city's register
    (supervision), those that concern a visit."""
    found: dict[tuple[int, int | None], Feedback] = defaultdict(lambda: Feedback([], 0))
    ratings = VisitRating.objects.filter(visit__date__gte=first, visit__date__lte=last)
    complaints = Complaint.objects.filter(
        visit__isnull=False, visit__date__gte=first, visit__date__lte=last
    )
    if provider_ids is not None:
        ratings = ratings.filter(visit__provider_id__in=provider_ids)
        complaints = complaints.filter(organisation_id__in=provider_ids)
    for provider, caregiver, stars in ratings.values_list(
        "visit__provider_id", "visit__caregiver_id", "stars"
    ):
        found[(provider, caregiver)].ratings.append(stars)
    for provider, caregiver in complaints.values_list("organisation_id", "visit__caregiver_id"):
        found[(provider, caregiver)].complaints += 1
    return dict(found)


def allowance_cover_problem(
    provider: Any, item: Any, division_code: str, dates: list[datetime.date]
) -> str | None:
    """Why an order's allowance share may not be paid: no live contract of the provider
    covers the service in the elder's area on one of its dates. A city that has bought
    nothing under contract yet is not held to it (its allowance is not settled here)."""
    from django.utils.translation import gettext as _

    from yiyang.settlement.models import ContractArea, ContractItem

    city = division_code[:CITY_CODE]
    if not Contract.objects.filter(division_code__startswith=city).exists():
        return None
    contracts = Contract.objects.filter(
        provider=provider,
        starts_on__lte=max(dates),
        ends_on__gte=min(dates),
        id__in=ContractItem.objects.filter(item=item).values("contract_id"),
    ).filter(
        id__in=ContractArea.objects.filter(
            code_prefix__in=[division_code[:n] for n in range(1, len(division_code) + 1)]
        ).values("contract_id")
    )
    periods = list(contracts.values_list("starts_on", "ends_on"))
    for day in dates:
        if not any(start <= day <= end for start, end in periods):
            return _(
                "No live purchase contract of %(provider)s covers %(service)s in the elder's "
                "area on %(date)s, so the allowance cannot pay for it; set the allowance "
                "share to 0 or choose a provider under contract."
            ) % {"provider": provider.name, "service": item.name, "date": day.isoformat()}
    return None


def division_for_code(*, code: str, field: str) -> Any:
    """The division with this code, or a clear error on ``field``."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from yiyang.core.models import Division

    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationError({field: _("No division has the code %(code)s.") % {"code": code}})
    return division


def contract_inputs(*, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve a contract's provider, budget line, buyer, services and areas from public
    ids and codes, within the actor's reach; each unknown one named in the error."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from yiyang.core.models import Division
    from yiyang.organisations.selectors import organisation_queryset
    from yiyang.services.models import ServiceItem

    errors: dict[str, str] = {}
    values = dict(data)
    provider = organisation_queryset(actor=actor).filter(external_id=data["provider"]).first()
    if provider is None:
        errors["provider"] = _("No such provider in your jurisdiction.")
    line = BudgetLine.objects.filter(external_id=data["budget_line"]).first()
    if line is None or (
        not actor.scope.covers_division_code(line.division_code)
        and not (actor.scope.division_prefix or "").startswith(line.city.code_prefix)
    ):
        errors["budget_line"] = _("No such budget line of your city.")
    divisions = {
        d.code: d for d in Division.objects.filter(code__in=[data["buyer"], *data["areas"]])
    }
    if data["buyer"] not in divisions:
        errors["buyer"] = _("No division has the code %(code)s.") % {"code": data["buyer"]}
    missing = [c for c in data["areas"] if c not in divisions]
    if missing:
        errors["areas"] = _("No division has the code %(code)s.") % {"code": ", ".join(missing)}
    city_prefix = (actor.scope.division_prefix or "")[:4]
    items = {
        i.code: i
        for i in ServiceItem.objects.filter(
            code__in=list(data["prices"]), city__code__startswith=city_prefix
        )
    }
    unknown = [c for c in data["prices"] if c not in items]
    if unknown:
        errors["prices"] = _("Not in the city's service list: %(codes)s.") % {
            "codes": ", ".join(unknown)
        }
    if errors:
        raise ValidationError(errors)
    values.update(
        provider=provider,
        budget_line=line,
        buyer=divisions[data["buyer"]],
        areas=[divisions[c] for c in data["areas"]],
        prices={items[c]: p for c, p in data["prices"].items()},
    )
    return values


def family_bills(*, actor: Actor, month: datetime.date) -> list[Any]:
    """The monthly bill of every elder the family login may see (``bills``)."""
    from yiyang.settlement.bills import family_bills as bills

    return bills(actor=actor, month=month)
