"""GET /api/assessments/due: questionnaires open now (a participant's own; staff: their sites'),
a page (``?limit=&offset=``, :mod:`balm.api.pagination`); GET /api/assessments/{id}."""

# No ``from __future__ import annotations``: ``@paginate`` resolves a view's string
# annotations in django-ninja's own module, where ``Id`` is not defined.
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router
from ninja.pagination import paginate

from balm.api.auth import Caller
from balm.api.pagination import Page, Rows
from balm.api.schemas import (
    LIST_ERRORS,
    READ_ERRORS,
    AssessmentDetailOut,
    AssessmentOut,
    Id,
)
from balm.instruments import get_instrument
from balm.instruments.schema import ItemKind
from balm.outcomes.models import Assessment
from balm.outcomes.reminders import OPEN_ENROLMENT
from balm.wording.lookup import online_filter, site_instrument

router = Router(tags=["assessments"])


def assessment_out(assessment: Assessment, status: str) -> dict:
    enrolment = assessment.enrolment
    return {
        "id": assessment.pk,
        "enrolment_id": enrolment.pk,
        "cohort_id": enrolment.cohort_id,
        "pseudonym": enrolment.participant.pseudonym,
        "instrument_id": assessment.instrument_id,
        "instrument_name": get_instrument(assessment.instrument_id).name,
        "timepoint": assessment.timepoint,
        "week": assessment.week,
        "opens_on": assessment.opens_on,
        "due_on": assessment.due_on,
        "closes_on": assessment.closes_on,
        "status": status,
    }


@router.get(
    "/due",
    response={200: list[AssessmentOut], **LIST_ERRORS},
    summary="Questionnaires open now (due or started; a page)",
)
@paginate(Page)
def due(request: HttpRequest, cohort_id: Id | None = None) -> Rows[Assessment]:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    today = timezone.localdate()
    assessments = (
        caller.visible_assessments()
        .open_now(today)
        .filter(outcome="", enrolment__status__in=OPEN_ENROLMENT)
        .with_open_status()
        .select_related("enrolment__participant")
        .order_by("due_on", "enrolment__participant__pseudonym", "instrument_id", "pk")
    )
    if cohort_id is not None:
        assessments = assessments.filter(enrolment__cohort_id=cohort_id)
    # A participant is offered only their questionnaires answered online (as on their page);
    # staff see every open questionnaire, paper ones too. In the same query, no lookups.
    own = (
        Q(enrolment__participant__user=caller.user)
        if caller.user is not None
        else Q(enrolment__participant=caller.link_participant)
    )
    assessments = assessments.exclude(own & ~online_filter())
    return Rows(assessments, lambda a: assessment_out(a, a.current_status))


@router.get(
    "/{assessment_id}",
    response={200: AssessmentDetailOut, **READ_ERRORS},
    summary="One assessment with its questions and allowed answers",
)
def get_assessment(request: HttpRequest, assessment_id: Id) -> dict:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    today = timezone.localdate()
    assessment = get_object_or_404(
        caller.visible_assessments()
        .with_status(today)
        .select_related("enrolment__participant", "enrolment__cohort__site"),
        pk=assessment_id,
    )
    # In the site's own licensed wording, where it has loaded one (balm.wording).
    instrument = site_instrument(assessment.enrolment.cohort.site, assessment.instrument_id)
    questions = []
    for item in instrument.items:
        options = instrument.options_for(item) if item.kind is ItemKind.CHOICE else ()
        questions.append(
            {
                "id": item.id,
                "text": item.text,
                "kind": item.kind.value,
                "required": item.required,
                "options": [{"value": o.value, "label": o.label} for o in options] or None,
                "minimum": item.minimum,
                "maximum": item.maximum,
            }
        )
    return {
        **assessment_out(assessment, assessment.current_status),
        "instructions": instrument.instructions,
        "questions": questions,
    }
