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

from django.utils.html import format_html

from balm.outcomes.models import Assessment, Response
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


def sparkline(values: list[float | None], *, width: int = 96, height: int = 24) -> str:
    """A small inline SVG line through the values (gaps skipped); empty with < 2 values."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    span = (high - low) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    coords = " ".join(
        f"{2 + i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in points
    )
    return format_html(
        '<svg class="spark" width="{}" height="{}" viewBox="0 0 {} {}" aria-hidden="true" '
        'focusable="false"><polyline fill="none" stroke="currentColor" stroke-width="2" '
        'points="{}"/></svg>',
        width,
        height,
        width,
        height,
        coords,
    )


def main_scale(instrument_id: str, scores: dict[str, Any]) -> tuple[str, float] | None:
    """The scale shown on the dashboard: ``total`` if scored, else the first numeric scale."""
    numeric = {
        k: v for k, v in scores.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
    if "total" in numeric:
        return "total", float(numeric["total"])
    for key, value in numeric.items():
        return key, float(value)
    return None


def scores_over_time(cohort: Cohort) -> tuple[list[str], list[dict[str, Any]]]:
    """Per enrolment and instrument, the main scale at each timepoint (with a sparkline)."""
    timepoints = list(Timepoint.values)
    table: dict[int, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    scale_names: dict[str, str] = {}
    for enrolment_id, instrument_id, timepoint, scores in Response.objects.filter(
        assessment__enrolment__cohort=cohort
    ).values_list("assessment__enrolment_id", "instrument_id", "assessment__timepoint", "scores"):
        found = main_scale(instrument_id, scores)
        if found is None:
            continue
        scale_names[instrument_id] = found[0]
        table[enrolment_id][instrument_id][timepoint] = found[1]
    rows = []
    for enrolment in cohort.enrolments.select_related("participant").order_by(
        "participant__pseudonym"
    ):
        for instrument_id, by_time in sorted(table.get(enrolment.pk, {}).items()):
            values = [by_time.get(t) for t in timepoints]
            rows.append(
                {
                    "enrolment": enrolment,
                    "measure": f"{instrument_id} {scale_names[instrument_id]}",
                    "values": ["" if v is None else f"{v:g}" for v in values],
                    "spark": sparkline(values),
                }
            )
    return [label for _, label in Timepoint.choices], rows
