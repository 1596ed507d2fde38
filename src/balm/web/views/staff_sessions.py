"""Staff pages for one session: its date, what was delivered, feedback and reflections, and
attendance."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput
from balm.programmes import actions as programme_actions
from balm.programmes.models import Attendance, AttendanceMark, EnrolmentStatus, Session
from balm.web import forms
from balm.web.views.common import staff_session


def _attendance_form(session: Session, data: object = None) -> forms.AttendanceForm:
    enrolments = (
        session.cohort.enrolments.exclude(status=EnrolmentStatus.WITHDRAWN)
        .select_related("participant")
        .order_by("participant__pseudonym")
    )
    marks = dict(Attendance.objects.filter(session=session).values_list("enrolment_id", "mark"))
    return forms.AttendanceForm(data, enrolments=enrolments, marks=marks, prefix="att")


def _render(request: HttpRequest, session: Session, notes, attendance) -> HttpResponse:  # type: ignore[no-untyped-def]
    return render(
        request,
        "balm/session.html",
        {
            "session": session,
            "cohort": session.cohort,
            "notes_form": notes,
            "attendance_form": attendance,
            "clinical": permissions.can_edit_clinical(request.user, session.cohort.site),
            "marks": AttendanceMark.choices,
            "register_open": session.date is not None and session.date <= timezone.localdate(),
            "identifiable": permissions.can_view_identifiable(request.user, session.cohort.site),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session's date (scheduling), delivered content, feedback and reflections."""
    session = staff_session(request, session_id, change=request.method == "POST")
    notes = forms.SessionForm(
        request.POST or None,
        initial={
            "date": session.date,
            "delivered_content": session.delivered_content,
            "facilitator_feedback": session.facilitator_feedback,
            "reflections": session.reflections,
        },
    )
    if request.method == "POST" and notes.is_valid():
        data = notes.cleaned_data
        try:
            programme_actions.record_session_notes(
                session=session,
                by=request.user,
                date=data["date"],
                delivered_content=data["delivered_content"],
                facilitator_feedback=data["facilitator_feedback"],
                reflections=data["reflections"],
            )
        except InvalidInput as error:
            notes.add_problems(error)
        else:
            messages.success(request, f"Session {session.number} saved.")
            return redirect("session", session_id=session.pk)
    return _render(request, session, notes, _attendance_form(session))


@login_required
@require_POST
def session_attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    session = staff_session(request, session_id, change=True)
    attendance = _attendance_form(session, request.POST)
    if attendance.is_valid():
        marks = attendance.marks()
        if request.POST.get("rest") == AttendanceMark.PRESENT:
            # "Mark all present": everyone not marked in the form; chosen marks stay.
            for enrolment, _ in attendance.people:
                marks.setdefault(enrolment.pk, AttendanceMark.PRESENT)
        try:
            programme_actions.record_attendance(session=session, marks=marks, by=request.user)
        except InvalidInput as error:
            attendance.add_problems(error)
        else:
            messages.success(request, f"Attendance for session {session.number} saved.")
            return redirect("session", session_id=session.pk)
    notes = forms.SessionForm(
        initial={
            "date": session.date,
            "delivered_content": session.delivered_content,
            "facilitator_feedback": session.facilitator_feedback,
            "reflections": session.reflections,
        }
    )
    return _render(request, session, notes, attendance)
