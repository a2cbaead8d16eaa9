"""The settlement app owns the money of government-purchased services: budget lines and
their allocations, purchase contracts, the monthly statements built from verified service
(with every hold reason), their multi-role workflow, payment releases and the fraud risk
scores. Writes are split by workflow and re-exported here."""

from yiyang.settlement.services.attachments import (
    contract_document_add,
    contract_document_delete,
    contract_document_read,
)
from yiyang.settlement.services.risk import risk_compute
from yiyang.settlement.services.settle import (
    SettleResult,
    month_bounds,
    settle_month,
    statement_totals,
)
from yiyang.settlement.services.setup import (
    allocation_set,
    budget_line_create,
    contract_create,
    contract_update,
    money,
)
from yiyang.settlement.services.workflow import (
    adjustment_add,
    budget_override_record,
    budget_problem,
    line_decide,
    line_dispute,
    release_create,
    release_mark_paid,
    statement_approve,
    statement_confirm,
    statement_verify,
)

__all__ = [
    "SettleResult",
    "adjustment_add",
    "allocation_set",
    "budget_line_create",
    "budget_override_record",
    "budget_problem",
    "contract_create",
    "contract_document_add",
    "contract_document_delete",
    "contract_document_read",
    "contract_update",
    "line_decide",
    "line_dispute",
    "money",
    "month_bounds",
    "release_create",
    "release_mark_paid",
    "risk_compute",
    "settle_month",
    "statement_approve",
    "statement_confirm",
    "statement_totals",
    "statement_verify",
]
