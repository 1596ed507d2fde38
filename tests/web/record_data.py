"""A filled participant record for the record tests (web and browser): P1 of the personas
with PHQ-9 and CORE-10 at baseline and end, two check-ins, attendance, a safety answer and an
amendment. The hand-worked figures are in tests/web/test_record.py."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from tests.web import factories

from balm.outcomes.actions import amend_response, submit_checkin, submit_response
from balm.outcomes.models import Assessment
from balm.programmes.actions import record_attendance
from balm.programmes.models import Enrolment

NOTE = "Hard week, but the breathing helped on Tuesday."
CORE10_24 = dict(zip([f"q{i}" for i in range(1, 11)], [3, 3, 3, 3, 3, 0, 3, 3, 3, 0], strict=True))
CORE10_9 = dict(zip([f"q{i}" for i in range(1, 11)], [1, 1, 1, 1, 1, 0, 1, 1, 1, 1], strict=True))
# 2 x 7 + 1 + 1 = 16, with item 9 above 0 (a safety answer)
PHQ9_16 = {**{f"q{i}": 2 for i in range(1, 8)}, "q8": 1, "q9": 1}
PHQ9_8 = {**{f"q{i}": 1 for i in range(1, 9)}, "q9": 0}


def _paper(world, assessment: Assessment, answers: dict[str, int]):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    if assessment.opens_on > today:  # staff enter paper answers once it opens: open it now
        assessment.opens_on = today
        assessment.save(update_fields=["opens_on"])
    return submit_response(
        assessment=assessment,
        answers=answers,
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=world.facilitator_a,
    )


def fill_record(world) -> Enrolment:  # type: ignore[no-untyped-def]
    """P1 with PHQ-9 and CORE-10 at baseline and end, two check-ins, attendance, an alert and
    an amendment."""
    e = world.enrolment_p1
    today = timezone.localdate()
    for timepoint, week in (("baseline", 0), ("end", 12)):
        Assessment.objects.create(
            enrolment=e,
            instrument_id="core10",
            timepoint=timepoint,
            week=week,
            opens_on=today,
            due_on=today,
            closes_on=today + timedelta(days=7),
        )
    _paper(world, e.assessments.get(instrument_id="core10", timepoint="baseline"), CORE10_24)
    _paper(world, e.assessments.get(instrument_id="core10", timepoint="end"), CORE10_9)
    first = _paper(world, e.assessments.get(instrument_id="phq9", timepoint="baseline"), PHQ9_16)
    _paper(world, e.assessments.get(instrument_id="phq9", timepoint="end"), PHQ9_8)
    amend_response(
        response=first, answers=PHQ9_16, reason="Checked against the paper form", by=world.admin_a
    )
    for week, mood, pain in ((1, 4, 7), (2, 6, 5)):
        submit_checkin(
            enrolment=e,
            week=week,
            answers={"q1": mood, "q2": 5, "q3": 5, "q4": 5, "q5": pain, "q6": 20},
            client_id=factories.client_id(),
            note=NOTE if week == 2 else "",
            by=world.p1,
        )
    sessions = list(world.cohort_a.sessions.order_by("number")[:2])
    record_attendance(session=sessions[0], marks={e: "present"}, by=world.facilitator_a)
    record_attendance(session=sessions[1], marks={e: "apologies"}, by=world.facilitator_a)
    return e
