"""End-of-programme feedback: a participant answers three open questions once, in the last
week of their group; only they send their own; the site's coders bring the answers into a
project as sources (pseudonymised); facilitators cannot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from balm.accounts.errors import NotAllowed
from balm.audit.models import AuditEvent
from balm.programmes.actions import change_enrolment_status
from balm.qualitative import actions
from balm.qualitative.models import ProgrammeFeedback, Source

pytestmark = pytest.mark.django_db
URL = "/me/feedback/"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _last_session_on(world, day) -> None:  # type: ignore[no-untyped-def]
    for status in ("assessed", "started"):
        change_enrolment_status(enrolment=world.enrolment_p1, status=status, by=None)
    last = world.cohort_a.sessions.order_by("-number").first()
    last.date = day
    last.save(update_fields=["date"])


def test_closed_until_the_last_week(world) -> None:  # type: ignore[no-untyped-def]
    _last_session_on(world, timezone.localdate() + timedelta(days=7))
    client = _client(world.p1_user)
    assert "open in the last week" in client.get(URL).content.decode()
    client.post(URL, {"helped": "The breathing."})
    assert not ProgrammeFeedback.objects.exists()
    assert (
        "Your feedback on the group"
        not in client.get(reverse("my-questionnaires")).content.decode()
    )


def test_answered_once_with_every_problem_named(world) -> None:  # type: ignore[no-untyped-def]
    _last_session_on(world, timezone.localdate() + timedelta(days=6))
    client = _client(world.p1_user)
    assert "Give feedback" in client.get(reverse("my-questionnaires")).content.decode()
    blank = client.post(URL, {"helped": "  ", "hard": "", "change": ""})
    assert "Write an answer to at least one question." in blank.content.decode()
    too_long = client.post(URL, {"helped": "x" * 4001})
    assert "4000 characters" in too_long.content.decode()
    assert not ProgrammeFeedback.objects.exists()
    client.post(URL, {"helped": "Meeting Sam Two every week.", "hard": "", "change": "Longer."})
    feedback = ProgrammeFeedback.objects.get()
    assert (feedback.enrolment, feedback.helped, feedback.hard, feedback.change) == (
        world.enrolment_p1, "Meeting Sam Two every week.", "", "Longer.",
    )  # fmt: skip
    event = AuditEvent.objects.get(action="qual.programme_feedback.submit")
    assert event.actor_participant == world.p1 and event.details["answered"] == ["helped", "change"]
    assert "reached your group's team" in client.get(URL).content.decode()
    client.post(URL, {"helped": "Again"})
    assert ProgrammeFeedback.objects.count() == 1
    with pytest.raises(NotAllowed):  # someone else cannot answer for P1
        actions.submit_programme_feedback(
            enrolment=world.enrolment_p1, answers={"helped": "x"}, by=world.p2
        )
    with pytest.raises(NotAllowed):
        actions.submit_programme_feedback(
            enrolment=world.enrolment_p1, answers={"helped": "x"}, by=world.facilitator_a
        )
    assert Client().get(URL).status_code == 404


def test_coders_bring_answers_in_as_pseudonymised_sources(world) -> None:  # type: ignore[no-untyped-def]
    _last_session_on(world, timezone.localdate())
    actions.submit_programme_feedback(
        enrolment=world.enrolment_p1,
        answers={"helped": "Meeting Sam Two every week.", "change": "Longer."},
        by=world.p1,
    )
    project = actions.create_project(site=world.site_a, name="Study A", by=world.researcher_a)
    url = reverse("qual:session-notes", args=[project.pk])
    facilitator = _client(world.facilitator_a)
    assert facilitator.get(url).context["answered"] == []
    assert (
        facilitator.post(url, {"what": "feedback", "cohort": world.cohort_a.pk}).status_code == 404
    )
    client = _client(world.researcher_a)
    assert [c.name for c in client.get(url).context["answered"]] == ["Cohort A"]
    client.post(url, {"what": "feedback", "cohort": world.cohort_a.pk})
    source = Source.objects.get(kind="feedback")
    assert source.participant == world.p1 and source.enrolment == world.enrolment_p1
    assert source.timepoint == "end"  # the end-of-programme answers belong to that timepoint
    assert source.text.startswith("What helped you most in the programme?\n")
    assert "Sam Two" not in source.text and "Longer." in source.text
    assert ProgrammeFeedback.objects.get().source == source
    assert client.get(url).context["answered"] == []  # brought in once
    assert AuditEvent.objects.filter(action="qual.programme_feedback.bring").count() == 1
