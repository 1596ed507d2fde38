"""Staff entering answers: a paper questionnaire on a participant's behalf (recorded as
``staff_paper``), recording instead that it was not returned or was declined, and amending a
response (a reason required; the old answers stay)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput
from balm.outcomes import actions as outcome_actions
from balm.outcomes.models import Assessment, AssessmentOutcome, Draft, EntryMode, Response
from balm.web import forms
from balm.web.views.common import require_staff, staff_enrolment
from balm.wording.lookup import response_instrument, site_instrument


def _assessment(request: HttpRequest, assessment_id: int, *, change: bool) -> Assessment:
    require_staff(request)
    assessment = get_object_or_404(
        Assessment.objects.select_related("enrolment__cohort__site", "enrolment__participant"),
        pk=assessment_id,
    )
    staff_enrolment(request, assessment.enrolment_id, change=change)
    return assessment


@login_required
@require_http_methods(["GET", "POST"])
def paper_entry(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Type in a paper questionnaire; scored by the engine through ``submit_response``.

    Not before the questionnaire opens (sent back to the enrolment with the date); a closed
    one still takes a paper form returned late."""
    assessment = _assessment(request, assessment_id, change=True)
    existing = Response.objects.filter(assessment=assessment).first()
    if existing is not None:
        messages.info(request, "This questionnaire was already answered; amend it here.")
        return redirect("amend-response", response_id=existing.pk)
    if timezone.localdate() < assessment.opens_on:
        messages.error(request, outcome_actions.not_open_yet(assessment, online=False).message)
        return redirect("enrolment", enrolment_id=assessment.enrolment_id)
    instrument = site_instrument(assessment.enrolment.cohort.site, assessment.instrument_id)
    form = forms.PaperEntryForm(
        request.POST or None, instrument=instrument, initial={"client_id": uuid.uuid4().hex}
    )
    if request.method == "POST" and form.is_valid():
        try:
            outcome_actions.submit_response(
                assessment=assessment,
                answers=form.answers(),
                client_id=form.cleaned_data["client_id"],
                entry_mode=EntryMode.STAFF_PAPER,
                by=request.user,
            )
        except InvalidInput as error:
            form.add_problems(error)
        else:
            messages.success(request, f"{instrument.short_name} saved and scored.")
            return redirect("enrolment", enrolment_id=assessment.enrolment_id)
    return _render_paper_entry(request, assessment, form)


def _render_paper_entry(
    request: HttpRequest,
    assessment: Assessment,
    form: forms.PaperEntryForm,
    outcome_errors: list[str] | None = None,
) -> HttpResponse:
    instrument = site_instrument(assessment.enrolment.cohort.site, assessment.instrument_id)
    draft = Draft.objects.filter(assessment=assessment).exclude(answers={}).first()
    return render(
        request,
        "balm/paper_entry.html",
        {
            "assessment": assessment,
            "instrument": instrument,
            "form": form,
            # The participant's own saved answers: kept whatever staff enter here.
            "draft": draft,
            "draft_count": len(draft.answers) if draft else 0,
            "outcomes": [c for c in AssessmentOutcome.choices if c[0]],
            "outcome_errors": outcome_errors or [],
        },
    )


@login_required
@require_POST
def assessment_outcome(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Record (or clear) that a questionnaire was not returned or was declined."""
    assessment = _assessment(request, assessment_id, change=True)
    try:
        outcome_actions.record_assessment_outcome(
            assessment=assessment,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            by=request.user,
        )
    except InvalidInput as error:
        form = forms.PaperEntryForm(
            instrument=site_instrument(assessment.enrolment.cohort.site, assessment.instrument_id),
            initial={"client_id": uuid.uuid4().hex},
        )
        return _render_paper_entry(
            request, assessment, form, [problem.message for problem in error.problems]
        )
    assessment.refresh_from_db()
    if assessment.outcome:
        messages.success(request, f"Recorded: {assessment.get_outcome_display().lower()}.")
    else:
        messages.success(request, "Cleared: answers can be entered again.")
    return redirect("enrolment", enrolment_id=assessment.enrolment_id)


@login_required
@require_http_methods(["GET", "POST"])
def amend_response(request: HttpRequest, response_id: int) -> HttpResponse:
    """Show a response and its history; clinical staff change answers with a reason."""
    require_staff(request)
    response = get_object_or_404(
        Response.objects.select_related(
            "assessment__enrolment__cohort__site", "assessment__enrolment__participant"
        ),
        pk=response_id,
    )
    enrolment = staff_enrolment(
        request, response.assessment.enrolment_id, change=request.method == "POST"
    )
    if not permissions.can_view_enrolment(request.user, enrolment):
        raise Http404
    clinical = permissions.can_edit_clinical(request.user, enrolment.cohort.site)
    instrument = response_instrument(response)
    initial = {k: ("" if v is None else str(v)) for k, v in response.answers.items()}
    form = forms.AmendForm(request.POST or None, instrument=instrument, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            outcome_actions.amend_response(
                response=response,
                answers=form.answers(),
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except InvalidInput as error:
            form.add_problems(error)
        else:
            messages.success(request, "Answers amended; the earlier answers are kept below.")
            return redirect("amend-response", response_id=response.pk)
    return render(
        request,
        "balm/amend.html",
        {
            "response": response,
            "assessment": response.assessment,
            "enrolment": enrolment,
            "instrument": instrument,
            "form": form if clinical else None,
            "history": response.amendments.select_related("by").order_by("-at", "-id"),
            "identifiable": permissions.can_view_identifiable(request.user, enrolment.cohort.site),
        },
    )
