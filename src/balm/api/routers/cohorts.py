"""GET /api/cohorts, /api/cohorts/{id}, /api/cohorts/{id}/enrolments.

The two lists are pages (``?limit=&offset=``, :mod:`balm.api.pagination`):
``{"items": [...], "count": N}``.
"""

# No ``from __future__ import annotations``: ``@paginate`` resolves a view's string
# annotations in django-ninja's own module, where ``Id`` is not defined.
from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from balm.api.auth import Caller
from balm.api.pagination import Page, Rows
from balm.api.schemas import (
    LIST_ERRORS,
    READ_ERRORS,
    CohortDetailOut,
    CohortOut,
    EnrolmentOut,
    Id,
)
from balm.programmes.models import Cohort, Enrolment

router = Router(tags=["cohorts"])


def cohort_out(cohort: Cohort) -> dict:
    return {
        "id": cohort.pk,
        "name": cohort.name,
        "site": {"id": cohort.site.pk, "name": cohort.site.name},
        "programme": cohort.template.name,
        "weeks": cohort.template.weeks,
        "start_date": cohort.start_date,
        "format": cohort.format,
        "status": cohort.status,
    }


def enrolment_out(enrolment: Enrolment, identifiable: bool) -> dict:
    """``identifiable``: the caller may see names and e-mails at the enrolment's site."""
    participant = enrolment.participant
    return {
        "id": enrolment.pk,
        "cohort_id": enrolment.cohort_id,
        "participant": {
            "pseudonym": participant.pseudonym,
            "name": participant.name if identifiable else None,
            "email": participant.email if identifiable else None,
        },
        "status": enrolment.status,
        "format": enrolment.format,
        "diagnosis_category": enrolment.diagnosis_category,
        "consent_recorded_on": enrolment.consent_recorded_on,
    }


def _visible_cohort(caller: Caller, cohort_id: int) -> Cohort:
    return get_object_or_404(
        caller.visible_cohorts().select_related("site", "template"), pk=cohort_id
    )


@router.get(
    "", response={200: list[CohortOut], **LIST_ERRORS}, summary="Cohorts you can see (a page)"
)
@paginate(Page)
def list_cohorts(request: HttpRequest) -> Rows[Cohort]:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    cohorts = (
        caller.visible_cohorts()
        .select_related("site", "template")
        .order_by("-start_date", "name", "pk")
    )
    return Rows(cohorts, cohort_out)


@router.get("/{cohort_id}", response={200: CohortDetailOut, **READ_ERRORS}, summary="A cohort")
def get_cohort(request: HttpRequest, cohort_id: Id) -> dict:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    cohort = _visible_cohort(caller, cohort_id)
    body = cohort_out(cohort)
    if caller.is_staff_at(cohort.site):
        counts = cohort.enrolments.values("status").annotate(n=Count("id")).order_by("status")
        body["enrolment_counts"] = {row["status"]: row["n"] for row in counts}
    return body


@router.get(
    "/{cohort_id}/enrolments",
    response={200: list[EnrolmentOut], **READ_ERRORS},
    summary="Enrolments in a cohort (a page; pseudonyms only for researchers)",
)
@paginate(Page)
def list_enrolments(request: HttpRequest, cohort_id: Id) -> Rows[Enrolment]:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    cohort = _visible_cohort(caller, cohort_id)
    identifiable = caller.identifiable(cohort.site)  # once: every row is at this cohort's site
    enrolments = (
        caller.visible_enrolments()
        .filter(cohort=cohort)
        .select_related("participant")
        .order_by("participant__pseudonym", "pk")
    )
    return Rows(enrolments, lambda enrolment: enrolment_out(enrolment, identifiable))
