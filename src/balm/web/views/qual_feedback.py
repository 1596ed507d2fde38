"""Session feedback and reflections into a project: a cohort's facilitators (and the site's
administrators) bring each session's notes in as sources that can be coded."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput
from balm.programmes.models import Cohort
from balm.qualitative import actions
from balm.web.views.qual_access import workspace


def _cohorts(request: HttpRequest, site_id: int) -> list[Cohort]:
    cohorts = permissions.visible_cohorts(request.user).filter(site_id=site_id).order_by("name")
    noted = Q(sessions__facilitator_feedback__gt="") | Q(sessions__reflections__gt="")
    return [
        c
        for c in cohorts.filter(noted).distinct()
        if permissions.can_bring_session_notes(request.user, c)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def session_notes(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id, coders_only=False)
    project = ws.project
    cohorts = _cohorts(request, project.site_id)
    if request.method == "POST":
        chosen = next((c for c in cohorts if str(c.pk) == request.POST.get("cohort")), None)
        if chosen is None:
            raise Http404
        try:
            made = actions.bring_session_notes(project=project, cohort=chosen, by=request.user)  # type: ignore[arg-type]
        except InvalidInput as error:
            for problem in error.problems:
                messages.error(request, problem.message)
        else:
            messages.success(
                request,
                f"{len(made)} new source{'s' if len(made) != 1 else ''} from {chosen.name}."
                if made
                else f"Every note of {chosen.name} is already in the project.",
            )
        return redirect("qual:session-notes", project_id=project.pk)
    return render(
        request,
        "balm/qual/session_notes.html",
        ws.context(cohorts=cohorts),
    )
