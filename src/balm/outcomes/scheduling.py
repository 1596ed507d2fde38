"""When an assessment opens, is due and closes (pure), and creating them for an enrolment."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

OPENS_BEFORE_DAYS = 7
CLOSES_AFTER_DAYS = {"baseline": 14, "mid": 14, "end": 21, "follow_up": 28}


def assessment_window(start_date: date, week: int, timepoint: str) -> tuple[date, date, date]:
    """``(opens_on, due_on, closes_on)`` for a timepoint at ``week`` of a cohort starting on
    ``start_date``. Baseline is due on the first session; it opens a week before."""
    due = start_date + timedelta(weeks=week)
    opens = due - timedelta(days=OPENS_BEFORE_DAYS)
    closes = due + timedelta(days=CLOSES_AFTER_DAYS.get(timepoint, 14))
    return opens, due, closes


def schedule_assessments(enrolment: Any) -> tuple[list[Any], list[str]]:
    """Create the enrolment's assessments from its cohort's template (inside the caller's
    transaction): one per instrument and timepoint, those it already has left as they are, all
    new ones in one INSERT. Instruments not in the catalogue or not enabled at the site are
    skipped; returns ``(created, skipped_instrument_ids)``."""
    from balm.instruments import catalogue
    from balm.outcomes.models import Assessment

    cohort = enrolment.cohort
    known = catalogue()
    taken = set(
        Assessment.objects.filter(enrolment=enrolment).values_list("instrument_id", "timepoint")
    )
    new, skipped = [], []
    for entry in cohort.template.schedule.all():
        if entry.instrument_id not in known or not cohort.site.instrument_enabled(
            entry.instrument_id
        ):
            skipped.append(entry.instrument_id)
            continue
        if (entry.instrument_id, entry.timepoint) in taken:
            continue
        taken.add((entry.instrument_id, entry.timepoint))
        opens, due, closes = assessment_window(cohort.start_date, entry.week, entry.timepoint)
        new.append(
            Assessment(
                enrolment=enrolment,
                instrument_id=entry.instrument_id,
                timepoint=entry.timepoint,
                week=entry.week,
                opens_on=opens,
                due_on=due,
                closes_on=closes,
            )
        )
    created = Assessment.objects.bulk_create(new)
    return created, sorted(set(skipped))
