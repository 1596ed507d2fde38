"""An assessment's status, computed from records (pure)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class AssessmentStatus(StrEnum):
    UPCOMING = "upcoming"  # not yet due
    DUE = "due"
    IN_PROGRESS = "in_progress"  # answers saved, not submitted
    COMPLETE = "complete"
    MISSED = "missed"  # closed without a response
    WITHDRAWN = "withdrawn"  # unanswered, and the participant has left the programme
    NOT_RETURNED = "not_returned"  # staff recorded that the form was not returned
    DECLINED = "declined"  # staff recorded that the participant declined it


def assessment_status(
    *,
    has_response: bool,
    has_draft: bool,
    opens_on: date,
    closes_on: date,
    today: date,
    withdrawn: bool = False,
    outcome: str = "",
) -> AssessmentStatus:
    """Complete beats everything; an unanswered assessment of a withdrawn participant is
    withdrawn (not counted as missed); after ``closes_on`` it is missed; a saved draft makes it
    in progress; before ``opens_on`` it is upcoming; else due. An ``outcome`` recorded by staff
    ("not_returned", "declined") comes next after complete."""
    if has_response:
        return AssessmentStatus.COMPLETE
    if outcome:
        return AssessmentStatus(outcome)
    if withdrawn:
        return AssessmentStatus.WITHDRAWN
    if today > closes_on:
        return AssessmentStatus.MISSED
    if has_draft:
        return AssessmentStatus.IN_PROGRESS
    if today < opens_on:
        return AssessmentStatus.UPCOMING
    return AssessmentStatus.DUE


def answer_by(*, due_on: date, closes_on: date, today: date) -> str:
    """What a participant is told about when to answer: the due date staff see as "due";
    once it has passed, that it is still open until it closes (never a second "due" date)."""
    if today <= due_on:
        return f"please answer by {due_on:%A %-d %B}"
    return f"it was due on {due_on:%A %-d %B}; you can still answer until {closes_on:%A %-d %B}"
