"""POST /api/responses and POST /api/checkins, through ``balm.outcomes.actions``.

Idempotent on the client's UUID: the same ``client_id`` with the same content returns the
stored record (200) without writing; with different content it is a conflict (409).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.api.auth import Caller
from balm.api.problems import problems_body
from balm.api.schemas import (
    WRITE_ERRORS,
    CheckInIn,
    CheckInOut,
    ErrorOut,
    ResponseIn,
    ResponseOut,
)
from balm.outcomes import actions
from balm.outcomes.answers import check_answers, stored_answers
from balm.outcomes.models import CheckIn, EntryMode, Response

router = Router(tags=["submissions"])

CONFLICT = {"detail": "This client id was already used for a different submission."}
STATUSES = {200: ResponseOut, 201: ResponseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _client_id(raw: str) -> str | None:
    """The canonical form of a UUID (so ``hex`` and dashed forms are the same id), or None."""
    try:
        return str(uuid.UUID(raw.strip()))
    except (ValueError, AttributeError):
        return None


def _same_answers(stored: Mapping[str, object], given: Mapping[str, object]) -> bool:
    """Equal once blanks are dropped (a blank is absent, never zero)."""
    left = {k: v for k, v in stored.items() if v is not None}
    right = {k: v for k, v in stored_answers(given).items() if v is not None}
    return left == right


def _refuse_bad_client_id(instrument_id: str, answers: Mapping[str, object], mode: str) -> None:
    """A malformed client id, reported together with every problem in the answers."""
    online = mode == EntryMode.PARTICIPANT_ONLINE
    checked = check_answers(instrument_id, answers, require_complete=online)
    problems = [
        Problem("client_id", "Send a UUID made by the client (e.g. uuid4)."),
        *checked.problems,
    ]
    raise InvalidInput(problems)


def response_out(response: Response, *, alert: bool | None = None) -> dict:
    """The API's view of a response. ``alert``: whether it raised a safety alert, when the
    caller knows (a new response does); otherwise it is looked up. Costs no other query when
    the response's assessment has ``enrolment__cohort__site`` selected."""
    site = response.assessment.enrolment.cohort.site
    if alert is None:
        alert = response.alerts.exists()
    return {
        "id": response.pk,
        "assessment_id": response.assessment_id,
        "instrument_id": response.instrument_id,
        "instrument_version": response.instrument_version,
        "variant": response.variant,
        "scores": response.scores,
        "scorer_version": response.scorer_version,
        "entry_mode": response.entry_mode,
        "client_id": response.client_id,
        "created_at": response.created_at,
        "safety_alert": alert,
        "crisis_contacts": site.crisis_contacts if alert else None,
    }


def checkin_out(checkin: CheckIn) -> dict:
    return {
        "id": checkin.pk,
        "enrolment_id": checkin.enrolment_id,
        "week": checkin.week,
        "instrument_id": checkin.instrument_id,
        "instrument_version": checkin.instrument_version,
        "scores": checkin.scores,
        "scorer_version": checkin.scorer_version,
        "practice_type": checkin.practice_type,
        "entry_mode": checkin.entry_mode,
        "client_id": checkin.client_id,
        "created_at": checkin.created_at,
    }


@router.post(
    "/responses",
    response={**WRITE_ERRORS, **STATUSES},
    summary="Submit a questionnaire (idempotent on client_id)",
)
def submit_response(request: HttpRequest, payload: ResponseIn):  # type: ignore[no-untyped-def]
    caller: Caller = request.auth  # type: ignore[attr-defined]
    assessment = caller.assessment(payload.assessment_id)
    permissions.require(
        permissions.can_answer_as(caller.actor, assessment.enrolment),
        "You cannot submit answers for this person.",
    )
    try:
        mode = actions.entry_mode_for(caller.actor, assessment.enrolment, payload.entry_mode)
        client_id = _client_id(payload.client_id)
        if client_id is None:
            _refuse_bad_client_id(assessment.instrument_id, payload.answers, mode)
        submission = actions.record_submission(
            assessment=assessment,
            answers=payload.answers,
            client_id=client_id,
            entry_mode=payload.entry_mode,
            by=caller.actor,
            token=caller.token,
        )
    except InvalidInput as error:
        return Status(422, problems_body(error.problems, assessment.instrument_id))
    stored = submission.response
    if submission.created:
        return Status(201, response_out(stored, alert=bool(submission.alerts)))
    same = (
        stored.assessment_id == assessment.pk
        and stored.entry_mode == mode
        and _same_answers(stored.answers, payload.answers)
    )
    if not same:
        return Status(409, CONFLICT)
    stored.assessment = assessment  # the same row, its site already loaded
    return Status(200, response_out(stored))


@router.post(
    "/checkins",
    response={**WRITE_ERRORS, **STATUSES, 200: CheckInOut, 201: CheckInOut},
    summary="Submit a weekly check-in (idempotent on client_id)",
)
def submit_checkin(request: HttpRequest, payload: CheckInIn):  # type: ignore[no-untyped-def]
    caller: Caller = request.auth  # type: ignore[attr-defined]
    enrolment = get_object_or_404(
        caller.visible_enrolments().select_related("cohort__site", "cohort__template"),
        pk=payload.enrolment_id,
    )
    permissions.require(
        permissions.can_answer_as(caller.actor, enrolment),
        "You cannot submit a check-in for this person.",
    )
    instrument_id = enrolment.cohort.template.checkin_instrument
    try:
        mode = actions.entry_mode_for(caller.actor, enrolment, payload.entry_mode)
        client_id = _client_id(payload.client_id)
        if client_id is None:
            if not instrument_id:
                raise InvalidInput([Problem("client_id", "Send a UUID made by the client.")])
            _refuse_bad_client_id(instrument_id, payload.answers, mode)
        submission = actions.record_checkin(
            enrolment=enrolment,
            week=payload.week,
            answers=payload.answers,
            client_id=client_id,
            practice_type=payload.practice_type,
            note=payload.note,
            entry_mode=payload.entry_mode,
            by=caller.actor,
            token=caller.token,
        )
    except InvalidInput as error:
        return Status(422, problems_body(error.problems, instrument_id or None))
    stored = submission.checkin
    if submission.created:
        return Status(201, checkin_out(stored))
    same = (
        stored.enrolment_id == enrolment.pk
        and stored.week == payload.week
        and stored.entry_mode == mode
        and stored.practice_type == payload.practice_type
        and stored.note == payload.note.strip()
        and _same_answers(stored.answers, payload.answers)
    )
    return Status(200, checkin_out(stored)) if same else Status(409, CONFLICT)
