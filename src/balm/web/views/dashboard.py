"""What the cohort dashboard shows, computed from the records (never typed in).

The functions here read the database and return plain data for the template; rates are
computed here from counts, scores are the stored engine scores.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from django.db.models import Count

from balm.outcomes.models import Assessment, CheckIn
from balm.outcomes.status import AssessmentStatus
from balm.programmes.models import Attendance, AttendanceMark, Cohort
from balm.programmes.templates import Timepoint

#: Statuses that count as "expected by now" for a completion rate: not upcoming, not withdrawn.
#: Not returned and declined were expected and are not complete.
EXPECTED = frozenset(
    {
        AssessmentStatus.COMPLETE,
        AssessmentStatus.MISSED,
        AssessmentStatus.NOT_RETURNED,
        AssessmentStatus.DECLINED,
        AssessmentStatus.DUE,
        AssessmentStatus.IN_PROGRESS,
    }
)


@dataclass(frozen=True)
class Completion:
    timepoint: str
    label: str
    complete: int
    expected: int

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.complete, self.expected) if self.expected else None

    @property
    def percent(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{float(rate) * 100:.0f}%"


def completion_rates(statuses: list[tuple[str, str]]) -> list[Completion]:
    """Per timepoint: complete / expected by now (due, in progress, complete or missed). Pure.

    ``statuses`` is ``[(timepoint, status), ...]``, one per assessment."""
    complete: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    for timepoint, status in statuses:
        if status in EXPECTED:
            expected[timepoint] += 1
        if status == AssessmentStatus.COMPLETE:
            complete[timepoint] += 1
    return [
        Completion(value, label, complete[value], expected[value])
        for value, label in Timepoint.choices
    ]


def assessments_with_status(cohort: Cohort, today: date) -> list[Assessment]:
    return list(
        Assessment.objects.filter(enrolment__cohort=cohort)
        .with_status(today)
        .select_related("enrolment__participant")
        .order_by("due_on", "enrolment__participant__pseudonym", "instrument_id")
    )


def due_and_overdue(assessments: list[Assessment], today: date) -> tuple[list[Any], list[Any]]:
    """Open assessments (due or in progress) split into overdue (past the due date) and due."""
    open_now = [
        a
        for a in assessments
        if a.current_status in (AssessmentStatus.DUE, AssessmentStatus.IN_PROGRESS)  # type: ignore[attr-defined]
    ]
    overdue = [a for a in open_now if a.due_on < today]
    due = [a for a in open_now if a.due_on >= today]
    return due, overdue


def attendance_by_session(cohort: Cohort) -> list[dict[str, Any]]:
    """Each session with its counts of present, absent and apologies."""
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for session_id, mark in Attendance.objects.filter(session__cohort=cohort).values_list(
        "session_id", "mark"
    ):
        counts[session_id][mark] += 1
    return [
        {
            "session": session,
            "present": counts[session.pk][AttendanceMark.PRESENT],
            "absent": counts[session.pk][AttendanceMark.ABSENT],
            "apologies": counts[session.pk][AttendanceMark.APOLOGIES],
            "recorded": sum(counts[session.pk].values()),
        }
        for session in cohort.sessions.select_related("plan")
    ]


def attended_by_enrolment(cohort: Cohort) -> dict[int, int]:
    """Sessions each enrolment was marked present at."""
    return dict(
        Attendance.objects.filter(session__cohort=cohort, mark=AttendanceMark.PRESENT)
        .values("enrolment_id")
        .annotate(n=Count("id"))
        .values_list("enrolment_id", "n")
    )


def sessions_held(cohort: Cohort, today: date) -> int:
    """Sessions dated today or earlier (those anyone could have attended)."""
    return cohort.sessions.filter(date__lte=today).count()


def latest_checkins(cohort: Cohort) -> dict[int, CheckIn]:
    """Each enrolment's most recent check-in."""
    latest: dict[int, CheckIn] = {}
    for checkin in CheckIn.objects.filter(enrolment__cohort=cohort).order_by("week"):
        latest[checkin.enrolment_id] = checkin
    return latest


def by_person(assessments: list[Any]) -> list[dict[str, Any]]:
    """Open assessments grouped per participant, timepoint and due date (one line each)."""
    groups: dict[tuple[str, int, str, date], dict[str, Any]] = {}
    for a in assessments:
        key = (a.enrolment.participant.pseudonym, a.enrolment_id, a.timepoint, a.due_on)
        group = groups.setdefault(
            key,
            {
                "pseudonym": key[0],
                "enrolment_id": a.enrolment_id,
                "timepoint": a.get_timepoint_display(),
                "due_on": a.due_on,
                "assessments": [],
            },
        )
        group["assessments"].append(a)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[3], k[0], k[2]))]
