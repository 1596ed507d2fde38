"""Session feedback and reflections into a project: a cohort's facilitators (and the site's
administrators) bring each session's notes in as sources that can be coded."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput
from balm.programmes.models import Cohort, Enrolment
from balm.qualitative import actions
from balm.qualitative.models import ProgrammeFeedback
from balm.web.participant_session import current_participant
from balm.web.views.qual_access import workspace


def _cohorts(request: HttpRequest, site_id: int) -> list[Cohort]:
    cohorts = permissions.visible_cohorts(request.user).filter(site_id=site_id).order_by("name")
    noted = Q(sessions__facilitator_feedback__gt="") | Q(sessions__reflections__gt="")
    return [
        c
        for c in cohorts.filter(noted).distinct()
        if permissions.can_bring_session_notes(request.user, c)
    ]


def _answered(request: HttpRequest, site_id: int) -> list[Cohort]:
    """Cohorts of the site with end-of-programme answers not yet brought in (for coders)."""
    waiting = ProgrammeFeedback.objects.filter(
        source__isnull=True, enrolment__cohort__site_id=site_id
    ).values("enrolment__cohort")
    return list(
        permissions.visible_cohorts(request.user)
        .filter(site_id=site_id, pk__in=waiting)
        .order_by("name")
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_notes(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id, coders_only=False)
    project = ws.project
    cohorts = _cohorts(request, project.site_id)
    answered = _answered(request, project.site_id) if ws.can_code else []
    if request.method == "POST":
        what = request.POST.get("what")
        pool = answered if what == "feedback" else cohorts
        chosen = next((c for c in pool if str(c.pk) == request.POST.get("cohort")), None)
        if chosen is None:
            raise Http404
        bring = (
            actions.bring_programme_feedback if what == "feedback" else actions.bring_session_notes
        )
        try:
            made = bring(project=project, cohort=chosen, by=request.user)  # type: ignore[arg-type]
        except InvalidInput as error:
            for problem in error.problems:
                messages.error(request, problem.message)
        else:
            messages.success(
                request,
                f"{len(made)} new source{'s' if len(made) != 1 else ''} from {chosen.name}."
                if made
                else f"Everything of {chosen.name} is already in the project.",
            )
        return redirect("qual:session-notes", project_id=project.pk)
    return render(
        request,
        "balm/qual/session_notes.html",
        ws.context(cohorts=cohorts, answered=answered),
    )


def _feedback_enrolment(participant: Any) -> Any:
    """The participant's latest enrolment whose end-of-programme questions are open."""
    today = timezone.localdate()
    for enrolment in (
        Enrolment.objects.filter(participant=participant)
        .select_related("cohort__site")
        .order_by("-cohort__start_date")
    ):
        if actions.feedback_open(enrolment, today):
            return enrolment
    return None


def feedback_due(participant: Any) -> bool:
    """The end-of-programme questions are open for the participant and not yet answered."""
    enrolment = _feedback_enrolment(participant)
    return enrolment is not None and not hasattr(enrolment, "programme_feedback")


@require_http_methods(["GET", "POST"])
def programme_feedback(request: HttpRequest) -> HttpResponse:
    """The participant's own end-of-programme questions (what helped, what was hard, what
    they would change), answered once."""
    participant = current_participant(request)
    if participant is None:
        raise Http404("Open your personal link again, or ask your group facilitator for a new one.")
    enrolment = _feedback_enrolment(participant)
    sent = enrolment is not None and ProgrammeFeedback.objects.filter(enrolment=enrolment).exists()
    answers = {key: request.POST.get(key, "") for key, _q in actions.FEEDBACK_QUESTIONS}
    problems: dict[str, list[str]] = {}
    if request.method == "POST" and enrolment is not None and not sent:
        try:
            actions.submit_programme_feedback(enrolment=enrolment, answers=answers, by=participant)
        except InvalidInput as error:
            problems = error.by_field()
        else:
            messages.success(request, "Thank you: your answers were sent to your group's team.")
            return redirect("programme-feedback")
    questions = [
        {"key": key, "question": question, "value": answers[key], "errors": problems.get(key, [])}
        for key, question in actions.FEEDBACK_QUESTIONS
    ]
    return render(
        request,
        "balm/programme_feedback.html",
        {
            "enrolment": enrolment,
            "sent": sent,
            "questions": questions,
            "form_errors": problems.get("", []),
            "max": actions.FEEDBACK_MAX,
        },
    )
