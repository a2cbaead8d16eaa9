"""A contract's performance terms read against the month a statement covers: the on-time
rate, the verified share, complaints, and the provider's latest third-party evaluation
(issue 14, contracts; issue 16, evaluations feeding the contract's terms).

Each figure comes from where the platform already computes it: the indicator catalogue's
provider forms (the same numbers as the dashboard's provider ranking) and the supervision
register's scored evaluations. Nothing is stored: a statement page shows the terms as they
stand."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from yiyang.core.indicators import Period, provider_compute
from yiyang.settlement.models import Statement
from yiyang.supervision.choices import EvaluationStatus
from yiyang.supervision.models import ServiceEvaluation


@dataclass(frozen=True)
class Term:
    """One performance term: what it is, the contract's target, the month's figure (None:
    nothing to measure), whether it is met, and where the figure comes from."""

    label: str
    target: str
    actual: str
    met: bool | None
    source: str


def _provider_figure(code: str, period: Period, provider: Any) -> Decimal | None:
    compute = provider_compute(code)
    if compute is None:
        return None
    figure = compute(period, [provider]).get(provider.pk)
    return None if figure is None else figure.value


def _share(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.1'))}%"


def contract_performance(statement: Statement) -> list[Term]:
    """The statement's contract terms against its month, in the contract's order."""
    contract, provider = statement.contract, statement.provider
    period = Period.month(statement.month.year, statement.month.month)
    on_time = _provider_figure("visits_on_time_share", period, provider)
    delivered = _provider_figure("visits_delivered", period, provider)
    flagged = _provider_figure("visits_flagged", period, provider)
    verified = (
        (Decimal(100) * (delivered - min(flagged or 0, delivered)) / delivered)
        if delivered
        else None
    )
    complaints = _provider_figure("complaints", period, provider)
    evaluation = (
        ServiceEvaluation.objects.filter(
            provider=provider,
            status=EvaluationStatus.SCORED,
            total__isnull=False,
            year__lte=statement.month.year,
        )
        .order_by("-year")
        .first()
    )
    evaluated = (
        Decimal(100) * evaluation.total / evaluation.max_total
        if evaluation is not None and evaluation.total is not None and evaluation.max_total
        else None
    )
    return [
        Term(
            _("On-time rate"),
            _share(contract.on_time_target),
            _share(on_time),
            None if on_time is None else on_time >= contract.on_time_target,
            _("visits of the month"),
        ),
        Term(
            _("Verified share"),
            _share(contract.verified_target),
            _share(verified),
            None if verified is None else verified >= contract.verified_target,
            _("delivered visits without a verification flag"),
        ),
        Term(
            _("Complaints"),
            _("at most %(n)d") % {"n": contract.complaints_limit},
            "—" if complaints is None else str(int(complaints)),
            None if complaints is None else complaints <= contract.complaints_limit,
            _("the complaint register, this month"),
        ),
        Term(
            _("Third-party evaluation"),
            _share(contract.evaluation_target),
            _share(evaluated),
            None if evaluated is None else evaluated >= contract.evaluation_target,
            _("evaluation of %(year)s") % {"year": evaluation.year}
            if evaluation
            else _("no evaluation scored yet"),
        ),
    ]
