"""Participant pages (issue #8, section 2): stopping keeps the page's answers, resuming opens
the first unanswered page, a personal-link session can be forgotten and does not outlive the
browser, and health pages are never cached."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
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


def test_forget_this_device_ends_the_link_session(world) -> None:  # type: ignore[no-untyped-def]
    client = link_client(world.p1)
    home = client.get(reverse("my-questionnaires"))
    assert "Sign out (forget this device)" in home.content.decode()
    assert client.get(reverse("forget-device")).status_code == 200  # a GET changes nothing
    assert client.get(reverse("my-questionnaires")).status_code == 200
    signed_out = client.post(reverse("forget-device"), follow=True)
    assert "You are signed out on this device" in signed_out.content.decode()
    assert client.get(reverse("my-questionnaires")).status_code == 404


def test_a_link_session_ends_with_the_browser_and_after_idling(world) -> None:  # type: ignore[no-untyped-def]
    from balm.web.participant_session import LINK_IDLE_SECONDS, SEEN_KEY

    client = link_client(world.p1)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    session = client.session
    session[SEEN_KEY] = time.time() - LINK_IDLE_SECONDS + 120  # idle, but not long enough
    session.save()
    assert client.get(reverse("my-questionnaires")).status_code == 200
    session = client.session
    session[SEEN_KEY] = time.time() - LINK_IDLE_SECONDS - 1
    session.save()
    assert client.get(reverse("my-questionnaires")).status_code == 404


def test_a_participant_log_in_ends_with_the_browser_and_after_idling(world) -> None:  # type: ignore[no-untyped-def]
    """As a personal link: a participant who signs in with a password gets a browser-session
    cookie and is signed out after the same idle time; staff keep their usual session."""
    from balm.web.participant_session import LINK_IDLE_SECONDS, SEEN_KEY

    client = Client()
    signed_in = client.post(reverse("login"), {"username": "p1_user", "password": "correct horse"})
    assert signed_in.status_code == 302
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    session = client.session
    session[SEEN_KEY] = time.time() - LINK_IDLE_SECONDS + 120  # idle, but not long enough
    session.save()
    assert client.get(reverse("my-questionnaires")).status_code == 200
    session = client.session
    session[SEEN_KEY] = time.time() - LINK_IDLE_SECONDS - 1
    session.save()
    assert client.get(reverse("my-questionnaires")).status_code == 404
    assert "_auth_user_id" not in client.session  # signed out, not just hidden
    assert client.get(reverse("my-progress")).status_code in (302, 404)

    staff = Client()
    staff.post(reverse("login"), {"username": "fac_a", "password": "correct horse"})
    assert "_auth_user_id" in staff.session
    staff_cookie = staff.cookies[settings.SESSION_COOKIE_NAME]
    assert staff_cookie["max-age"] == settings.SESSION_COOKIE_AGE
    assert not staff.session.get_expire_at_browser_close()


@pytest.mark.parametrize("who", ["link", "staff"])
def test_health_pages_are_never_stored(world, who) -> None:  # type: ignore[no-untyped-def]
    if who == "link":
        client = link_client(world.p1)
        urls = [
            reverse("my-questionnaires"),
            reverse("questionnaire", args=[phq9(world).pk]),
            reverse("my-progress"),
        ]
    else:
        client = Client()
        client.force_login(world.facilitator_a)
        urls = [reverse("enrolment", args=[world.enrolment_p1.pk]), "/"]
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url
        assert "no-store" in page["Cache-Control"], url


def _started(world) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.actions import change_enrolment_status

    for status in ("assessed", "started"):
        change_enrolment_status(enrolment=world.enrolment_p1, status=status, by=None)


def test_checkin_errors_are_summarised_at_the_top_with_links(world) -> None:  # type: ignore[no-untyped-def]
    _started(world)
    page = link_client(world.p1).post(reverse("checkin"), {"q1": "6"})
    html = page.content.decode()
    assert html.index("Some answers are missing") < html.index('name="q1"')
    for n in (2, 3, 4, 5):
        assert f'href="#id_q{n}_0"' in html and f'id="id_q{n}_0"' in html
    assert 'href="#id_q6"' not in html  # practice minutes may be left empty
    assert "If you practised, which practice" not in html  # asked once, by the list


def test_checkin_without_practice_minutes_is_saved(world) -> None:  # type: ignore[no-untyped-def]
    from balm.outcomes.models import CheckIn

    _started(world)
    answers = {"q1": "6", "q2": "5", "q3": "4", "q4": "5", "q5": "7", "q6": ""}
    page = link_client(world.p1).post(reverse("checkin"), {**answers, "practice_type": "none"})
    assert page.status_code == 302
    stored = CheckIn.objects.get()
    assert stored.scores["practice_minutes"] is None  # blank is missing, never 0
    assert stored.scores["pain"] == 7.0


def test_answer_by_is_the_due_date_then_the_closing_date() -> None:
    """Hand-worked: due Monday 7 December 2026, closes Monday 21 December 2026."""
    from datetime import date

    from balm.outcomes.status import answer_by

    due, closes = date(2026, 12, 7), date(2026, 12, 21)
    on_time = answer_by(due_on=due, closes_on=closes, today=date(2026, 12, 7))
    assert on_time == "please answer by Monday 7 December"
    late = answer_by(due_on=due, closes_on=closes, today=date(2026, 12, 8))
    assert late == (
        "it was due on Monday 7 December; you can still answer until Monday 21 December"
    )


def test_the_participant_is_told_the_due_date_staff_see(world) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    assessment = phq9(world)
    due = timezone.localdate() + timedelta(days=3)
    type(assessment).objects.filter(pk=assessment.pk).update(
        opens_on=timezone.localdate(), due_on=due, closes_on=due + timedelta(days=14)
    )
    mine = link_client(world.p1).get(reverse("my-questionnaires")).content.decode()
    assert f"Please answer by {due:%A %-d %B}" in mine
    assert "<strong>Start</strong>" in mine  # the participants' name for the baseline
    staff = Client()
    staff.force_login(world.facilitator_a)
    page = staff.get(reverse("enrolment", args=[world.enrolment_p1.pk])).content.decode()
    assert f"{due:%-d %b %Y}" in page  # the Due column: the same date
