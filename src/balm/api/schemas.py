"""Request and response bodies of the JSON API (pydantic, through django-ninja).

Every whole number the API reads (an id in the path, the query or a body; a week; a page's
``limit`` and ``offset``) is bounded here, before any query: beyond what the database column
holds, PostgreSQL raises ``DataError`` and SQLite "datatype mismatch" or ``OverflowError``,
which would be a 500. Out of range, or not a whole number, is a 422 naming the field, with
``allowed: {"kind": "integer", "minimum", "maximum"}`` (:func:`whole_number`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StrictFloat, StrictInt, StrictStr, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

# The largest bigint: BigAutoField ids (PostgreSQL ``bigint``, SQLite's 64-bit ``INTEGER``),
# and the largest OFFSET either database takes.
BIGINT_MAX = 2**63 - 1
# CheckIn.week is a PositiveSmallIntegerField (``smallint`` on PostgreSQL).
WEEK_MAX = 32767
# The error type of an out-of-range number; ``ctx`` holds its ``minimum`` and ``maximum``.
RANGE_ERROR = "integer_range"


def whole_number(minimum: int, maximum: int) -> WrapValidator:
    """Refuse anything that is not a whole number from ``minimum`` to ``maximum`` with one
    error naming the whole range (pydantic's own name one bound, or none for ``"abc"``).
    Goes after ``Field(ge=minimum, le=maximum)``, which puts the bounds in the OpenAPI schema
    and is checked inside this validator."""

    def check(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(
                RANGE_ERROR,
                "Must be a whole number from {minimum} to {maximum}.",
                {"minimum": minimum, "maximum": maximum},
            ) from None

    return WrapValidator(check)


# An object's id, in the path, the query or a body: 1 to the bigint maximum.
Id = Annotated[int, Field(ge=1, le=BIGINT_MAX), whole_number(1, BIGINT_MAX)]
# A week number: 1 to what the column holds (the programme's own weeks are checked on submit).
Week = Annotated[int, Field(ge=1, le=WEEK_MAX), whole_number(1, WEEK_MAX)]

EntryModeName = Literal["participant_online", "staff_paper", "import"]
# Strict: a JSON true/false is refused as an answer instead of being read as 1 or 0.
Answer = StrictInt | StrictFloat | StrictStr | None
ScoreValue = float | str | None


class ErrorOut(Schema):
    detail: str


class AllowedOut(Schema):
    """What an answer (or an id, a week, a page's limit or offset) may be: one of ``options``,
    or a number from ``minimum`` to ``maximum``."""

    kind: str = Field(description="choice, integer, number, text or option")
    options: list[OptionOut] | None = None
    # int first: an id's bound (up to 2**63 - 1) is shown exactly, not rounded to a float.
    minimum: int | float | None = None
    maximum: int | float | None = None


class OptionOut(Schema):
    value: float | str
    label: str


class ProblemOut(Schema):
    field: str = Field(description='The item id or field; "" for the whole submission.')
    message: str
    allowed: AllowedOut | None = None


class ProblemsOut(Schema):
    detail: str
    problems: list[ProblemOut]


class SiteOut(Schema):
    id: int
    name: str


class CohortOut(Schema):
    id: int
    name: str
    site: SiteOut
    programme: str
    weeks: int
    start_date: date
    format: str
    status: str


class CohortDetailOut(CohortOut):
    enrolment_counts: dict[str, int] | None = Field(
        None, description="Enrolments by status (staff of the site only)."
    )


class ParticipantOut(Schema):
    pseudonym: str
    name: str | None = Field(None, description="Only for clinical staff of the site.")
    email: str | None = Field(None, description="Only for clinical staff of the site.")


class EnrolmentOut(Schema):
    id: int
    cohort_id: int
    participant: ParticipantOut
    status: str
    format: str
    diagnosis_category: str
    consent_recorded_on: date | None


class AssessmentOut(Schema):
    id: int
    enrolment_id: int
    cohort_id: int
    pseudonym: str
    instrument_id: str
    instrument_name: str
    timepoint: str
    week: int
    opens_on: date
    due_on: date
    closes_on: date
    status: str


class QuestionOut(Schema):
    id: str
    text: str | None = Field(None, description="None for licensed instruments (paper form).")
    kind: str
    required: bool
    options: list[OptionOut] | None = None
    minimum: float | None = None
    maximum: float | None = None


class AssessmentDetailOut(AssessmentOut):
    instructions: str | None
    questions: list[QuestionOut]


class ResponseIn(Schema):
    assessment_id: Id
    answers: dict[str, Answer] = Field(
        description="Item id to the printed value chosen; leave an item out (or null) if blank."
    )
    client_id: str = Field(
        description="A UUID made by the client; sending it again stores nothing twice.",
        json_schema_extra={"format": "uuid"},
    )
    entry_mode: EntryModeName | None = Field(
        None,
        description=(
            "Follows from who sends it: a participant's own answers are participant_online; "
            "staff send staff_paper (the default for staff) or import, never participant_online."
        ),
    )


class ResponseOut(Schema):
    id: int
    assessment_id: int
    instrument_id: str
    instrument_version: str
    variant: str = Field(
        "", description="The printed item order the answers were scored in (CPAQ-8); empty: none."
    )
    scores: dict[str, ScoreValue]
    scorer_version: str
    entry_mode: str
    client_id: str
    created_at: datetime
    safety_alert: bool = Field(description="A safety answer was given (the team is told).")
    crisis_contacts: str | None = Field(None, description="Who to call, when a safety alert.")


class CheckInIn(Schema):
    enrolment_id: Id
    week: Week
    answers: dict[str, Answer]
    client_id: str = Field(
        description="A UUID made by the client; sending it again stores nothing twice.",
        json_schema_extra={"format": "uuid"},
    )
    practice_type: str = "none"
    note: str = ""
    entry_mode: EntryModeName | None = Field(
        None,
        description=(
            "Follows from who sends it: a participant's own answers are participant_online; "
            "staff send staff_paper (the default for staff) or import, never participant_online."
        ),
    )


class CheckInOut(Schema):
    id: int
    enrolment_id: int
    week: int
    instrument_id: str
    instrument_version: str
    scores: dict[str, ScoreValue]
    scorer_version: str
    practice_type: str
    entry_mode: str
    client_id: str
    created_at: datetime


class ScaleOut(Schema):
    id: str
    name: str
    direction: str = Field(description="higher_better or higher_worse")
    minimum: float
    maximum: float


class QuestionnaireScoresOut(Schema):
    response_id: int
    instrument_id: str
    instrument_name: str
    timepoint: str
    week: int
    submitted_at: datetime
    scores: dict[str, ScoreValue]


class CheckInScoresOut(Schema):
    week: int
    submitted_at: datetime
    scores: dict[str, ScoreValue]


class ScoresOut(Schema):
    enrolment_id: int
    pseudonym: str
    questionnaires: list[QuestionnaireScoresOut]
    checkins: list[CheckInScoresOut]
    scales: dict[str, list[ScaleOut]] = Field(description="Scales of each instrument used.")


AllowedOut.model_rebuild()
QuestionOut.model_rebuild()


# The answers every operation documents besides its success (the API's rules, balm.api.api):
# 401 without credentials; 422 for a malformed request (a path id, page or body out of range);
# 404 for an object the caller may not see; on writes 403 (seen, not allowed to change) and
# 409 (a client_id reused with different content).
LIST_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ProblemsOut}
READ_ERRORS: dict[int, Any] = {**LIST_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut, 409: ErrorOut}
