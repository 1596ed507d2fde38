"""Shared by the staff pages: home, alert, health check, and finding objects a user may see.

An object the user may not see is a 404; one they may see but not change is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from balm.accounts import permissions
from balm.outcomes import actions as outcome_actions
from balm.programmes.models import Cohort, Enrolment, Session
from balm.web import record


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(
        permissions.visible_alerts(request.user).select_related(
            "response__assessment__enrolment__participant",
            "response__assessment__enrolment__cohort__site",
        ),
        pk=alert_id,
    )
    if request.method == "POST":
        outcome_actions.acknowledge_alert(
            alert=alert, by=request.user, note=request.POST.get("note", "")
        )
        messages.success(request, "Alert acknowledged.")
        return redirect("alert", alert_id=alert.pk)
    enrolment = alert.response.assessment.enrolment
    return render(
        request,
        "balm/alert.html",
        {
            "alert": alert,
            "enrolment": enrolment,
            "participant": enrolment.participant,
            "item": record.alert_item(alert.response.instrument_id, alert.item, alert.value),
            # visible_alerts is clinical staff only, who see contact details; asked anyway
            "identifiable": permissions.can_view_identifiable(request.user, enrolment.cohort.site),
            "earlier": permissions.visible_alerts(request.user)
            .filter(response__assessment__enrolment__participant=enrolment.participant)
            .exclude(pk=alert.pk)
            .select_related("response"),
        },
    )


# --- finding what a staff member may see -------------------------------------------------


def require_staff(request: HttpRequest) -> None:
    """Staff pages are not there (404) for anyone without a staff role."""
    if not permissions.is_staff_member(request.user):
        raise Http404


def staff_cohort(request: HttpRequest, cohort_id: int, *, change: bool = False) -> Cohort:
    """The cohort if the user is staff who may see it (else 404); with ``change``, one they may
    also run (else 403: researchers read but never change clinical records)."""
    require_staff(request)
    cohort = get_object_or_404(Cohort.objects.select_related("site", "template"), pk=cohort_id)
    if not permissions.can_view_cohort(request.user, cohort):
        raise Http404
    if change and not permissions.can_manage_cohort(request.user, cohort):
        raise PermissionDenied("Only the group's clinical staff can change this.")
    return cohort


def staff_enrolment(request: HttpRequest, enrolment_id: int, *, change: bool = False) -> Enrolment:
    require_staff(request)
    enrolment = get_object_or_404(
        permissions.visible_enrolments(request.user).select_related(
            "participant", "cohort__site", "cohort__template"
        ),
        pk=enrolment_id,
    )
    if enrolment.cohort.site_id not in permissions.site_ids(request.user):
        raise Http404
    if change and not permissions.can_edit_clinical(request.user, enrolment.cohort.site):
        raise PermissionDenied("Only the group's clinical staff can change this.")
    return enrolment


def staff_session(request: HttpRequest, session_id: int, *, change: bool = False) -> Session:
    require_staff(request)
    session = get_object_or_404(
        Session.objects.select_related("cohort__site", "cohort__template", "plan"), pk=session_id
    )
    staff_cohort(request, session.cohort_id, change=change)
    return session
