"""The supervision app owns how the city supervises what it funds: star ratings of
institutions (schemes as data, evaluation by third parties, review, publication), safety
inspections with rectification, and the city's complaint register with deadlines and
escalation. Split by workflow; import from here."""

from yiyang.supervision.services.calendar import calendar_day_remove, calendar_day_set
from yiyang.supervision.services.complaints import (
    complaint_acknowledge,
    complaint_actions,
    complaint_answer,
    complaint_assign,
    complaint_assignees,
    complaint_close,
    complaint_from_family,
    complaint_register,
    complaint_reopen,
)
from yiyang.supervision.services.escalation import overdue_escalate
from yiyang.supervision.services.evaluations import (
    evaluation_assign,
    evaluation_score,
    evaluation_tasks_generate,
)
from yiyang.supervision.services.inspections import (
    inspection_plan_generate,
    inspection_record,
    rectification_close,
    rectification_respond,
    rectification_return,
)
from yiyang.supervision.services.ratings import (
    rating_actions,
    rating_apply,
    rating_assign,
    rating_change_level,
    rating_finish_scoring,
    rating_publish,
    rating_result,
    rating_review,
    rating_scheme_load,
    rating_scheme_upload,
    rating_score,
)

__all__ = [
    "calendar_day_remove",
    "calendar_day_set",
    "complaint_acknowledge",
    "complaint_actions",
    "complaint_answer",
    "complaint_assign",
    "complaint_assignees",
    "complaint_close",
    "complaint_from_family",
    "complaint_register",
    "complaint_reopen",
    "evaluation_assign",
    "evaluation_score",
    "evaluation_tasks_generate",
    "inspection_plan_generate",
    "inspection_record",
    "overdue_escalate",
    "rating_actions",
    "rating_apply",
    "rating_assign",
    "rating_change_level",
    "rating_finish_scoring",
    "rating_publish",
    "rating_result",
    "rating_review",
    "rating_scheme_load",
    "rating_scheme_upload",
    "rating_score",
    "rectification_close",
    "rectification_respond",
    "rectification_return",
]
