"""Staff pages for a cohort: the dashboard, creating a cohort, an enrolment's status and
personal links. Enrolling is in :mod:`balm.web.views.staff_enrol`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from balm.accounts import permissions
from balm.accounts.actions import (
    issue_participant_link,
    revoke_participant_link,
)
from balm.accounts.errors import InvalidInput
from balm.accounts.models import ParticipantLink, Role
from balm.outcomes.undelivered import undelivered_emails
from balm.programmes import actions as programme_actions
from balm.programmes.flow import enrolment_flow
from balm.programmes.models import ProgrammeTemplate
from balm.web import forms, record
from balm.web.cohort_figures import jacobson_plots
from balm.web.views import dashboard
from balm.web.views.common import require_staff, staff_cohort, staff_enrolment


@login_required
def cohort_detail(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = staff_cohort(request, cohort_id)
    today = timezone.localdate()
    assessments = dashboard.assessments_with_status(cohort, today)
    counts: dict[int, dict[str, int]] = {}
    for a in assessments:
        per = counts.setdefault(a.enrolment_id, {})
        per[a.current_status] = per.get(a.current_status, 0) + 1  # type: ignore[attr-defined]
    enrolments = list(
        cohort.enrolments.select_related("participant").order_by("participant__pseudonym")
    )
    cohort_changes = record.cohort_changes([e.pk for e in enrolments])
    changes = cohort_changes.rows
    attended = dashboard.attended_by_enrolment(cohort)
    checkins = dashboard.latest_checkins(cohort)
    rows = [
        {
            "enrolment": e,
            "complete": counts.get(e.pk, {}).get("complete", 0),
            "open": counts.get(e.pk, {}).get("due", 0) + counts.get(e.pk, {}).get("in_progress", 0),
            "missed": counts.get(e.pk, {}).get("missed", 0),
            "changes": changes.get(e.pk, []),
            "attended": attended.get(e.pk, 0),
            "checkin": checkins.get(e.pk),
        }
        for e in enrolments
    ]
    due, overdue = dashboard.due_and_overdue(assessments, today)
    clinical = permissions.can_edit_clinical(request.user, cohort.site)
    alerts = (
        permissions.visible_alerts(request.user)
        .open()
        .filter(response__assessment__enrolment__cohort=cohort)
        .select_related("response__assessment__enrolment__participant")
    )
    # Only clinical staff, who can follow up (check the address, hand over paper): researchers
    # do not see delivery problems at all, as they are about contact details.
    undelivered = undelivered_emails(cohort) if clinical else []
    return render(
        request,
        "balm/cohort.html",
        {
            "cohort": cohort,
            "rows": rows,
            "flow": enrolment_flow(cohort),
            "identifiable": permissions.can_view_identifiable(request.user, cohort.site),
            "clinical": clinical,
            "due": due,
            "overdue": overdue,
            "due_groups": dashboard.by_person(due),
            "overdue_groups": dashboard.by_person(overdue),
            "completion": dashboard.completion_rates(
                [(a.timepoint, a.current_status) for a in assessments]  # type: ignore[attr-defined]
            ),
            "attendance": dashboard.attendance_by_session(cohort),
            "alerts": alerts,
            "sessions_held": dashboard.sessions_held(cohort, today),
            "undelivered": undelivered,
            "jacobson": jacobson_plots(cohort_changes),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cohort_create(request: HttpRequest) -> HttpResponse:
    require_staff(request)
    sites = permissions.visible_sites(request.user).filter(
        pk__in=permissions.site_ids(request.user, permissions.CLINICAL_ROLES)
    )
    if not sites.exists():
        raise PermissionDenied("Only clinical staff can create a group.")
    templates = ProgrammeTemplate.objects.filter(Q(site__isnull=True) | Q(site__in=sites))
    form = forms.CohortForm(
        request.POST or None, sites=sites, templates=templates, initial={"format": "in_person"}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        site = data["site"]
        facilitators = (
            [request.user] if Role.FACILITATOR in permissions.roles_at(request.user, site) else []
        )
        try:
            cohort = programme_actions.create_cohort_from_template(
                template=data["template"],
                site=site,
                name=data["name"],
                start_date=data["start_date"],
                format=data["format"],
                facilitators=facilitators,
                by=request.user,
            )
        except InvalidInput as error:
            form.add_problems(error)
        else:
            messages.success(request, f"Group {cohort.name} created with its sessions.")
            return redirect("cohort", cohort_id=cohort.pk)
    return render(request, "balm/cohort_form.html", {"form": form})


# --- one enrolment -----------------------------------------------------------------------

#: Session key of a personal link just issued, until the enrolment page shows it once.
NEW_LINK_KEY = "balm_new_link"


def _enrolment_context(request: HttpRequest, enrolment: Any, form: Any) -> dict[str, Any]:
    site = enrolment.cohort.site
    clinical = permissions.can_edit_clinical(request.user, site)
    return {
        "enrolment": enrolment,
        "cohort": enrolment.cohort,
        "form": form,
        "clinical": clinical,
        "identifiable": permissions.can_view_identifiable(request.user, site),
        "history": enrolment.history.select_related("by"),
        "assessments": [
            {
                "assessment": a,
                "status": a.current_status,
                "label": a.current_status.replace("_", " "),
            }
            for a in enrolment.assessments.with_status(timezone.localdate())
            .select_related("response")
            .order_by("week", "instrument_id")
        ],
        "links": enrolment.participant.links.all() if clinical else [],
        # paper entry once open: due, in progress, or closed unanswered (a form returned late)
        "paper_statuses": ("due", "in_progress", "missed"),
        "now": timezone.now(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_detail(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """An enrolment: its questionnaires, status history and the next status (with a reason)."""
    enrolment = staff_enrolment(request, enrolment_id, change=request.method == "POST")
    form = forms.StatusForm(request.POST or None, current=enrolment.status)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme_actions.change_enrolment_status(
                enrolment=enrolment,
                status=data["status"],
                on=data["on"],
                reason=data["reason"],
                by=request.user,
            )
        except InvalidInput as error:
            form.add_problems(error)
        else:
            messages.success(request, f"Status changed to {enrolment.get_status_display()}.")
            return redirect("enrolment", enrolment_id=enrolment.pk)
    context = _enrolment_context(request, enrolment, form)
    context["can_erase"] = permissions.can_erase_participant(request.user, enrolment.participant)
    shown = request.session.get(NEW_LINK_KEY)
    if request.method == "GET" and shown and shown.get("enrolment") == enrolment.pk:
        del request.session[NEW_LINK_KEY]
        context["new_link"] = shown["url"]
        context["new_link_expires"] = datetime.fromisoformat(shown["expires"])
    response = render(request, "balm/enrolment.html", context)
    if "new_link" in context:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def enrolment_link(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """Issue a new personal link (shown once, on this page) or revoke one."""
    enrolment = staff_enrolment(request, enrolment_id, change=True)
    participant = enrolment.participant
    if "revoke" in request.POST:
        link = get_object_or_404(
            ParticipantLink, pk=request.POST.get("revoke"), participant=participant
        )
        revoke_participant_link(link=link, by=request.user, reason="revoked by staff")
        messages.success(request, "The link was revoked; it no longer opens.")
        return redirect("enrolment", enrolment_id=enrolment.pk)
    link, token = issue_participant_link(participant=participant, by=request.user)
    # Shown once, on the page this redirects to (a refresh cannot issue a second link): kept in
    # the session until that page takes it.
    request.session[NEW_LINK_KEY] = {
        "enrolment": enrolment.pk,
        "url": request.build_absolute_uri(reverse("participant-link", args=[token])),
        "expires": link.expires_at.isoformat(),
    }
    return redirect("enrolment", enrolment_id=enrolment.pk)
