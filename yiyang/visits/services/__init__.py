"""Writes of orders, care plans and visits: placing and cancelling, dispatch, the visit's
lifecycle with its verification, review and ratings (complaints: the supervision
app's register).

Every write checks the actor's permission and scope, validates everything first (a
``ValidationError`` keyed by field, nothing half-written), runs in one transaction and is
audited. Exceptions found on a visit are flags with a reason code, never blocks.

The services are split by workflow (Zulip's ``actions/``); this package re-exports
the public ones, so callers import ``yiyang.visits.services`` as before.
"""

from yiyang.visits.lifecycle import (
    SECOND_CHECK_IN,
    SECOND_CHECK_OUT,
    is_second_caregiver,
    second_presence_of,
)
from yiyang.visits.services.common import (
    CENT,
    VIA_BY_ROLE,
    Fix,
)
from yiyang.visits.services.dispatch import (
    DispatchRefusedError,
    visit_assign,
    visit_unassign,
    visits_planned_start_set,
)
from yiyang.visits.services.door import visit_door_card
from yiyang.visits.services.feedback import (
    visit_rate,
)
from yiyang.visits.services.history import (
    Rated,
    Reviewed,
    VisitPast,
    visits_past_write,
    visits_rate_many,
    visits_review_many,
)
from yiyang.visits.services.monitoring import (
    Epoch,
    visits_mark_late,
    visits_scan,
)
from yiyang.visits.services.orders import (
    monthly_allowance,
    order_cancel,
    order_place,
    plan_dates,
    visit_cancel,
)
from yiyang.visits.services.review import (
    visit_correct,
    visit_flag_explain,
    visit_photo_add,
    visit_review,
)
from yiyang.visits.services.verification import (
    visit_check_in,
    visit_check_out,
    visit_facts,
    visit_set_off,
)

__all__ = [
    "CENT",
    "SECOND_CHECK_IN",
    "SECOND_CHECK_OUT",
    "VIA_BY_ROLE",
    "DispatchRefusedError",
    "Epoch",
    "Fix",
    "Rated",
    "Reviewed",
    "VisitPast",
    "is_second_caregiver",
    "monthly_allowance",
    "order_cancel",
    "order_place",
    "plan_dates",
    "second_presence_of",
    "visit_assign",
    "visit_cancel",
    "visit_check_in",
    "visit_check_out",
    "visit_correct",
    "visit_door_card",
    "visit_facts",
    "visit_flag_explain",
    "visit_photo_add",
    "visit_rate",
    "visit_review",
    "visit_set_off",
    "visit_unassign",
    "visits_mark_late",
    "visits_past_write",
    "visits_planned_start_set",
    "visits_rate_many",
    "visits_review_many",
    "visits_scan",
]
