"""Models of the programmes app, split by concern across ``templates`` and ``cohorts``."""

from balm.programmes.cohorts import (
    TRANSITIONS,
    Attendance,
    AttendanceMark,
    Cohort,
    CohortStatus,
    DiagnosisCategory,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    Format,
    Session,
    transition_problem,
)
from balm.programmes.templates import ProgrammeTemplate, ScheduleEntry, SessionPlan, Timepoint

__all__ = [
    "TRANSITIONS",
    "Attendance",
    "AttendanceMark",
    "Cohort",
    "CohortStatus",
    "DiagnosisCategory",
    "Enrolment",
    "EnrolmentStatus",
    "EnrolmentStatusChange",
    "Format",
    "ProgrammeTemplate",
    "ScheduleEntry",
    "Session",
    "SessionPlan",
    "Timepoint",
    "transition_problem",
]
