"""The participant record: one page per enrolment that a facilitator reads before a session.

Clinical staff of the site see everything, including contact details, the participant's
check-in notes and safety alerts. Researchers of the site see the record pseudonymised:
scores, bands, change categories, check-in numbers and attendance, but no name, contact
details, free text or alerts. Anyone else gets a 404 (``staff_enrolment``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from balm.accounts import permissions
from balm.web import record
from balm.web.views import dashboard
from balm.web.views.common import staff_enrolment


@login_required
@require_GET
def enrolment_record(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = staff_enrolment(request, enrolment_id)
    site = enrolment.cohort.site
    free_text = permissions.can_view_free_text(request.user, site)
    sessions, attended = record.attendance(enrolment)
    alerts = (
        permissions.visible_alerts(request.user)
        .filter(response__assessment__enrolment=enrolment)
        .select_related("response", "acknowledged_by")
    )
    return render(
        request,
        "balm/record.html",
        {
            "enrolment": enrolment,
            "cohort": enrolment.cohort,
            "participant": enrolment.participant,
            "identifiable": permissions.can_view_identifiable(request.user, site),
            "clinical": permissions.can_edit_clinical(request.user, site),
            "free_text": free_text,
            "measures": record.measures(enrolment),
            "checkins": record.checkins(enrolment, with_notes=free_text),
            "sessions": sessions,
            "attended": attended,
            "sessions_held": dashboard.sessions_held(enrolment.cohort, timezone.localdate()),
            "alerts": alerts,
            "amendments": record.amendments(enrolment),
        },
    )
