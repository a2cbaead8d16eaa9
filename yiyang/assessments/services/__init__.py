"""The assessments app owns ability assessment: the instruments (GB/T 42195-2022, the
Barthel Index) as versioned data, the workflow from request to a final, frozen result, the
care-risk events that feed the change rules and prompt re-assessment, assessors' declared
relations, and the eligibility rules that turn a final level into entitlements.

Every write checks the actor's role and jurisdiction, validates everything before writing
anything, runs in one transaction and leaves an audit record. Errors are ``ValidationError``
keyed by field (item codes for answers). Split by workflow; import from here.
"""

from yiyang.assessments.services.common import (
    ASSESSMENT_OBJECT_TYPE,
    BARTHEL,
    GBT42195,
    INSTRUMENT_DIR,
    RULE_OBJECT_TYPE,
    add_months,
    risk_events_30d,
    rules_from_settings,
)
from yiyang.assessments.services.eligibility import (
    RULE_FIELDS,
    Entitlement,
    elder_level,
    eligibility_rule_create,
    eligibility_rule_update,
    entitlements_for,
)
from yiyang.assessments.services.health import (
    WITHHELD_RULE,
    AssessmentHealth,
    assessment_answers_reveal,
    assessment_health_reveal,
    may_see_assessment_health,
)
from yiyang.assessments.services.instruments import (
    assessment_preview,
    instrument_definition,
    instrument_load,
    instruments_load_builtin,
)
from yiyang.assessments.services.review import (
    assessment_cancel,
    assessment_finalise,
    assessment_return,
)
from yiyang.assessments.services.risks import (
    REASSESSMENT_ADVISED,
    REASSESSMENT_REQUESTED,
    declaration_record,
    due_assessments_request,
    reassessment_after,
    risk_event_record,
)
from yiyang.assessments.services.workflow import (
    Answers,
    assessment_answers,
    assessment_request,
    assessment_result,
    assessment_save,
    assessment_schedule,
    assessment_submit,
)

__all__ = [
    "ASSESSMENT_OBJECT_TYPE",
    "BARTHEL",
    "GBT42195",
    "INSTRUMENT_DIR",
    "REASSESSMENT_ADVISED",
    "REASSESSMENT_REQUESTED",
    "RULE_FIELDS",
    "RULE_OBJECT_TYPE",
    "WITHHELD_RULE",
    "Answers",
    "AssessmentHealth",
    "Entitlement",
    "add_months",
    "assessment_answers",
    "assessment_answers_reveal",
    "assessment_cancel",
    "assessment_finalise",
    "assessment_health_reveal",
    "assessment_preview",
    "assessment_request",
    "assessment_result",
    "assessment_return",
    "assessment_save",
    "assessment_schedule",
    "assessment_submit",
    "declaration_record",
    "due_assessments_request",
    "elder_level",
    "eligibility_rule_create",
    "eligibility_rule_update",
    "entitlements_for",
    "instrument_definition",
    "instrument_load",
    "instruments_load_builtin",
    "may_see_assessment_health",
    "reassessment_after",
    "risk_event_record",
    "risk_events_30d",
    "rules_from_settings",
]
