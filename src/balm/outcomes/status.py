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


def assessment_status(
    *,
    has_response: bool,
    has_draft: bool,
    opens_on: date,
    closes_on: date,
    today: date,
    withdrawn: bool = False,
) -> AssessmentStatus:
    """Complete beats everything; an unanswered assessment of a withdrawn participant is
    withdrawn (not counted as missed); after ``closes_on`` it is missed; a saved draft makes it
    in progress; before ``opens_on`` it is upcoming; else due."""
    if has_response:
        return AssessmentStatus.COMPLETE
    if withdrawn:
        return AssessmentStatus.WITHDRAWN
    if today > closes_on:
        return AssessmentStatus.MISSED
    if has_draft:
        return AssessmentStatus.IN_PROGRESS
    if today < opens_on:
        return AssessmentStatus.UPCOMING
    return AssessmentStatus.DUE
