"""The attendance register of a session: one row per person, withdrawn people left out, no
marks for sessions that have not happened, "mark all present" keeping the marks chosen."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories

from balm.accounts.errors import InvalidInput
from balm.programmes.actions import change_enrolment_status, record_attendance
from balm.programmes.models import Attendance

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _marks(session: Any) -> dict[str, str]:
    return dict(
        Attendance.objects.filter(session=session).values_list(
            "enrolment__participant__pseudonym", "mark"
        )
    )


def test_mark_all_present_keeps_the_chosen_marks(world: Any) -> None:
    p3 = factories.enrol(factories.participant(world.site_a, "P3"), world.cohort_a)
    session = world.cohort_a.sessions.get(number=1)  # a week ago
    page = client_for(world.facilitator_a).post(
        reverse("session-attendance", args=[session.pk]),
        {f"att-enrolment-{world.enrolment_p2.pk}": "apologies", "rest": "present"},
    )
    assert page.status_code == 302
    assert _marks(session) == {
        "P1": "present",
        "P2": "apologies",
        p3.participant.pseudonym: "present",
    }


def test_withdrawn_people_are_left_out_of_the_register(world: Any) -> None:
    change_enrolment_status(
        enrolment=world.enrolment_p2, status="withdrawn", reason="Moved away", by=None
    )
    session = world.cohort_a.sessions.get(number=1)
    page = client_for(world.facilitator_a).get(reverse("session", args=[session.pk]))
    html = page.content.decode()
    assert 'data-register="P1"' in html and 'data-register="P2"' not in html
    client_for(world.facilitator_a).post(
        reverse("session-attendance", args=[session.pk]), {"rest": "present"}
    )
    assert _marks(session) == {"P1": "present"}


def test_no_marks_for_a_future_session(world: Any) -> None:
    session = world.cohort_a.sessions.get(number=3)  # two weeks ahead
    page = client_for(world.facilitator_a).get(reverse("session", args=[session.pk]))
    assert b"data-register-closed" in page.content and b"register-mark" not in page.content
    refused = client_for(world.facilitator_a).post(
        reverse("session-attendance", args=[session.pk]), {"rest": "present"}
    )
    assert refused.status_code == 200 and "take the register then" in refused.content.decode()
    with pytest.raises(InvalidInput):
        record_attendance(session=session, marks={world.enrolment_p1: "present"}, by=None)
    assert not Attendance.objects.exists()
    # today's session is open
    today = world.cohort_a.sessions.get(number=2)
    assert (
        b"register-mark"
        in client_for(world.facilitator_a).get(reverse("session", args=[today.pk])).content
    )
