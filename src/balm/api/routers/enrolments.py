"""GET /api/enrolments/{id}/scores: questionnaire and check-in scores over time."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from balm.api.auth import Caller
from balm.api.schemas import READ_ERRORS, Id, ScoresOut
from balm.instruments import get_instrument
from balm.outcomes.models import CheckIn, Response

router = Router(tags=["scores"])


def _scales(instrument_id: str) -> list[dict]:
    return [
        {
            "id": scale.id,
            "name": scale.name,
            "direction": scale.direction.value,
            "minimum": scale.minimum,
            "maximum": scale.maximum,
        }
        for scale in get_instrument(instrument_id).scales
    ]


@router.get(
    "/{enrolment_id}/scores",
    response={200: ScoresOut, **READ_ERRORS},
    summary="Scores over time (as scored by balm.instruments when submitted)",
)
def scores(request: HttpRequest, enrolment_id: Id) -> dict:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    enrolment = get_object_or_404(
        caller.visible_enrolments().select_related("participant"), pk=enrolment_id
    )
    responses = (
        Response.objects.filter(assessment__enrolment=enrolment)
        .select_related("assessment")
        .order_by("assessment__week", "instrument_id")
    )
    checkins = CheckIn.objects.filter(enrolment=enrolment).order_by("week")
    instruments = {r.instrument_id for r in responses} | {c.instrument_id for c in checkins}
    return {
        "enrolment_id": enrolment.pk,
        "pseudonym": enrolment.participant.pseudonym,
        "questionnaires": [
            {
                "response_id": r.pk,
                "instrument_id": r.instrument_id,
                "instrument_name": get_instrument(r.instrument_id).name,
                "timepoint": r.assessment.timepoint,
                "week": r.assessment.week,
                "submitted_at": r.created_at,
                "scores": r.scores,
            }
            for r in responses
        ],
        "checkins": [
            {"week": c.week, "submitted_at": c.created_at, "scores": c.scores} for c in checkins
        ],
        "scales": {instrument_id: _scales(instrument_id) for instrument_id in sorted(instruments)},
    }
