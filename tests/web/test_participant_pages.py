"""Participant pages (issue #8, section 2): stopping keeps the page's answers, resuming opens
the first unanswered page, a personal-link session can be forgotten and does not outlive the
browser, and health pages are never cached."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories

from balm.accounts.actions import issue_participant_link
from balm.outcomes import actions
from balm.outcomes.models import Draft

pytestmark = pytest.mark.django_db


def link_client(participant) -> Client:  # type: ignore[no-untyped-def]
    _, token = issue_participant_link(participant=participant, by=None)
    client = Client()
    assert client.get(f"/p/{token}/").status_code == 302
    return client


def phq9(world):  # type: ignore[no-untyped-def]
    return world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")


def test_stop_for_now_keeps_the_answers_on_the_page(world) -> None:  # type: ignore[no-untyped-def]
    assessment = phq9(world)
    client = link_client(world.p1)
    url = reverse("questionnaire", args=[assessment.pk])
    page = client.post(url, {"page": 1, "q1": "2", "go": "stop"})
    assert page.status_code == 302 and page["Location"] == reverse("my-questionnaires")
    assert Draft.objects.get(assessment=assessment).answers == {"q1": "2"}


def test_stop_with_a_bad_value_shows_it_and_saves_nothing(world) -> None:  # type: ignore[no-untyped-def]
    assessment = phq9(world)
    page = link_client(world.p1).post(
        reverse("questionnaire", args=[assessment.pk]), {"page": 1, "q1": "7", "go": "stop"}
    )
    assert page.status_code == 200
    assert not Draft.objects.filter(assessment=assessment).exists()


def test_resuming_opens_the_first_unanswered_page(world) -> None:  # type: ignore[no-untyped-def]
    """PHQ-9 has 9 items, 3 a page: q1-q3 and q4 saved, so page 2 (q5, q6 unanswered)."""
    assessment = phq9(world)
    actions.save_draft_answers(
        assessment=assessment, answers={"q1": 1, "q2": 1, "q3": 1, "q4": 0}, by=world.p1
    )
    page = link_client(world.p1).get(reverse("questionnaire", args=[assessment.pk]))
    assert "Page 2 of 3" in page.content.decode()


def test_a_fresh_questionnaire_opens_on_page_1(world) -> None:  # type: ignore[no-untyped-def]
    page = link_client(world.p1).get(reverse("questionnaire", args=[phq9(world).pk]))
    assert "Page 1 of 3" in page.content.decode()


def test_asking_for_a_page_still_opens_it(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("questionnaire", args=[phq9(world).pk])
    assert "Page 3 of 3" in link_client(world.p1).get(f"{url}?page=3").content.decode()


def test_a_full_draft_resumes_on_the_last_page(world) -> None:  # type: ignore[no-untyped-def]
    assessment = phq9(world)
    actions.save_draft_answers(assessment=assessment, answers=factories.PHQ9_ZEROS, by=world.p1)
    page = link_client(world.p1).get(reverse("questionnaire", args=[assessment.pk]))
    assert "Page 3 of 3" in page.content.decode()
