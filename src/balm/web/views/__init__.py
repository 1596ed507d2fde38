"""Pages, split by audience: ``common`` (home, alerts), ``participant``, ``staff_cohorts``,
``staff_enrol``, ``staff_sessions``, ``staff_entry`` (paper entry and amendments), ``export`` and
``tokens`` (a staff member's own API tokens).

Every view asks ``balm.accounts.permissions`` who may see what; writes go through actions.
``from balm.web import views`` keeps working: the names ``urls.py`` uses are re-exported here.
"""

from balm.web.views.common import alert_detail, healthz
from balm.web.views.evaluation import evaluation_behind, evaluation_page
from balm.web.views.export import (
    export_checkins,
    export_cohort,
    export_dictionary,
    export_enrolments,
    export_sessions,
    export_site,
)
from balm.web.views.participant import (
    checkin,
    forget_device,
    my_questionnaires,
    open_link,
    questionnaire,
    questionnaire_done,
)
from balm.web.views.staff_cohorts import (
    cohort_create,
    cohort_detail,
    enrolment_detail,
    enrolment_link,
)
from balm.web.views.staff_enrol import enrol_csv, enrol_one
from balm.web.views.staff_entry import amend_response, assessment_outcome, paper_entry
from balm.web.views.staff_home import alerts, home
from balm.web.views.staff_record import enrolment_record
from balm.web.views.staff_sessions import session_attendance, session_detail
from balm.web.views.tokens import api_token_revoke, api_tokens

__all__ = [
    "alert_detail",
    "alerts",
    "amend_response",
    "api_token_revoke",
    "api_tokens",
    "assessment_outcome",
    "checkin",
    "cohort_create",
    "cohort_detail",
    "enrol_csv",
    "enrol_one",
    "enrolment_detail",
    "enrolment_link",
    "enrolment_record",
    "evaluation_behind",
    "evaluation_page",
    "export_checkins",
    "export_cohort",
    "export_dictionary",
    "export_enrolments",
    "export_sessions",
    "export_site",
    "forget_device",
    "healthz",
    "home",
    "my_questionnaires",
    "open_link",
    "paper_entry",
    "questionnaire",
    "questionnaire_done",
    "session_attendance",
    "session_detail",
]
