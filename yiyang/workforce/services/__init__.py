"""Writes of the caregiver workforce: the city's roster (one person per ID number, with
employment history across employers), roster imports, training and its certificates, skills
contests and post subsidies. Caregivers' dispatch profiles and certificates stay in
``yiyang.services`` (dispatch and the optimiser read them); this app adds the person behind
them. Re-exported here: callers import ``yiyang.workforce.services``."""

from yiyang.workforce.services.contests import (
    contest_create,
    contest_entry_add,
    contest_event_add,
    contest_scores_record,
)
from yiyang.workforce.services.importing import ImportResult, roster_import
from yiyang.workforce.services.roster import (
    certificate_reminders_create,
    certificates_follow,
    employment_end,
    person_adopt_caregivers,
    person_id_number_reveal,
    roster_export_recorded,
)
from yiyang.workforce.services.subsidies import (
    subsidies_evaluate,
    subsidies_mark_paid,
    subsidy_rule_save,
)
from yiyang.workforce.services.training import (
    course_create,
    enrolment_add,
    enrolment_result_record,
    session_check_in,
    session_create,
)

__all__ = [
    "ImportResult",
    "certificate_reminders_create",
    "certificates_follow",
    "contest_create",
    "contest_entry_add",
    "contest_event_add",
    "contest_scores_record",
    "course_create",
    "employment_end",
    "enrolment_add",
    "enrolment_result_record",
    "person_adopt_caregivers",
    "person_id_number_reveal",
    "roster_export_recorded",
    "roster_import",
    "session_check_in",
    "session_create",
    "subsidies_evaluate",
    "subsidies_mark_paid",
    "subsidy_rule_save",
]
