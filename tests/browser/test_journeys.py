"""End to end in a real browser: a participant answers the PHQ-9 on a phone, stopping halfway
and resuming, with a safety answer; the facilitator sees the score and the alert and
acknowledges it; a participant cannot reach anyone else's pages. Every main page is
screenshotted and scanned with axe-core (see conftest.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from balm.accounts.actions import revoke_participant_link
from balm.accounts.models import ParticipantLink
from balm.outcomes.models import CheckIn, Draft, Response, SafetyAlert

from .conftest import DESKTOP, PASSWORD, PHONE, People, Shots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

PHQ9_QUESTIONS = {
    "q1": "Little interest or pleasure in doing things",
    "q2": "Feeling down, depressed, or hopeless",
    "q3": "Trouble falling or staying asleep",
    "q4": "Feeling tired or having little energy",
    "q5": "Poor appetite or overeating",
    "q6": "Feeling bad about yourself",
    "q7": "Trouble concentrating on things",
    "q8": "Moving or speaking so slowly",
    "q9": "Thoughts that you would be better off dead",
}
LABELS = ("Not at all", "Several days", "More than half the days", "Nearly every day")
# q9 above 0 raises a safety alert; the total is 1+1+2 + 1+0+1 + 0+0+1 = 7.
ANSWERS = {"q1": 1, "q2": 1, "q3": 2, "q4": 1, "q5": 0, "q6": 1, "q7": 0, "q8": 0, "q9": 1}
PHQ9_TOTAL = 7


def question(page: Any, item: str) -> Any:
    return page.get_by_role("group", name=re.compile(re.escape(PHQ9_QUESTIONS[item])))


def answer(page: Any, item: str) -> None:
    question(page, item).get_by_role("radio", name=LABELS[ANSWERS[item]], exact=True).check()


def expect_answered(page: Any, item: str) -> None:
    choice = question(page, item).get_by_role("radio", name=LABELS[ANSWERS[item]], exact=True)
    expect(choice).to_be_checked()


def phq9_baseline(people: People, enrolment: str = "enrolment_p1") -> Any:
    return getattr(people.world, enrolment).assessments.get(
        instrument_id="phq9", timepoint="baseline"
    )


def test_phq9_on_a_phone_with_a_safety_answer_then_the_facilitator_acknowledges(
    browser: Any, base_url: str, people: People, shots: Shots
) -> None:
    assessment = phq9_baseline(people)

    # --- the participant, on a phone: open the personal link ---------------------------
    phone = browser.new_context(base_url=base_url, **PHONE)
    page = phone.new_page()
    page.goto(f"/p/{people.p1_token}/")
    expect(page).to_have_url(re.compile(r"/me/$"))  # the token leaves the address bar
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaires")
    shots.check(page, "participant-home")

    page.get_by_role("link", name="Start PHQ-9").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patient Health Questionnaire-9")
    expect(page.get_by_text("Page 1 of 3")).to_be_visible()
    for item in ("q1", "q2", "q3"):
        answer(page, item)
    shots.check(page, "questionnaire-page-1")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Page 2 of 3")).to_be_visible()

    # --- stop halfway, with one answer ticked on this page: leave, put the phone down ------
    # (issue #8: "Stop for now" lost the answers ticked on the current page.)
    answer(page, "q4")
    page.get_by_role("button", name=re.compile("Stop for now")).click()
    expect(page.get_by_role("link", name="Carry on PHQ-9")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your answers are saved")
    phone.close()
    assert Draft.objects.get(assessment=assessment).answers == {
        item: str(ANSWERS[item]) for item in ("q1", "q2", "q3", "q4")
    }

    # --- come back later through the same link, in a fresh browser session ---------------
    # It opens at the first page with a question unanswered (page 2), not page 1.
    phone = browser.new_context(base_url=base_url, **PHONE)
    page = phone.new_page()
    page.goto(f"/p/{people.p1_token}/")
    page.get_by_role("link", name="Carry on PHQ-9").click()
    expect(page.get_by_text("Page 2 of 3")).to_be_visible()
    expect_answered(page, "q4")  # the answer ticked before stopping was kept
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_text("Page 1 of 3")).to_be_visible()
    for item in ("q1", "q2", "q3"):
        expect_answered(page, item)  # the answers were kept
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Page 2 of 3")).to_be_visible()
    for item in ("q5", "q6"):
        answer(page, item)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Page 3 of 3")).to_be_visible()
    for item in ("q7", "q8", "q9"):
        answer(page, item)
    shots.check(page, "questionnaire-page-3")
    page.get_by_role("button", name="Send my answers").click()

    # --- after submitting: thanks and crisis contacts ------------------------------------
    expect(page).to_have_url(re.compile(rf"/me/done/{assessment.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    crisis = page.get_by_role("region", name=re.compile("thoughts of harming yourself"))
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("116 123")
    expect(crisis).to_contain_text("999")
    shots.check(page, "after-submit-crisis")
    phone.close()

    response = Response.objects.get(assessment=assessment)
    assert response.scores["total"] == PHQ9_TOTAL
    alert = SafetyAlert.objects.get(response=response)
    assert alert.is_open

    # --- the facilitator, on a desktop ---------------------------------------------------
    desk = browser.new_context(base_url=base_url, **DESKTOP)
    page = desk.new_page()
    page.goto(reverse("home"))
    expect(page).to_have_url(re.compile(r"/login/"))
    shots.check(page, "login")
    page.get_by_label("Username").fill(people.world.facilitator_a.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    alerts = page.get_by_role("region", name=re.compile("Safety answers to review"))
    expect(alerts).to_be_visible()
    alert_link = alerts.get_by_role("link", name=re.compile(r"P1.*PHQ-9.*q9"))
    expect(alert_link).to_be_visible()
    shots.check(page, "staff-home")

    see_score(page, people, shots)

    page.goto(reverse("home"))
    alert_link.click()
    expect(page).to_have_url(re.compile(rf"/alerts/{alert.pk}/$"))
    expect(page.get_by_role("link", name=re.compile(r"^P1\b"))).to_be_visible()
    shots.check(page, "alert-open")
    page.get_by_label(re.compile("What was done")).fill("Phoned P1; safety plan reviewed.")
    page.get_by_role("button", name="Acknowledge").click()

    expect(page.get_by_role("status")).to_contain_text("Alert acknowledged")
    alert.refresh_from_db()
    assert alert.acknowledged_by == people.world.facilitator_a
    when = timezone.localtime(alert.acknowledged_at)
    acknowledged = page.get_by_text(re.compile("Acknowledged by"))
    expect(acknowledged).to_contain_text(str(people.world.facilitator_a))
    expect(acknowledged).to_contain_text(f"{when.day} {when:%b %Y %H:%M}")
    shots.check(page, "alert-acknowledged")

    page.goto(reverse("home"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Safety answers to review"))).to_have_count(0)
    desk.close()


def see_score(page: Any, people: People, shots: Shots) -> None:
    """The cohort page lists P1 and the new PHQ-9 total; so do P1's own staff pages."""
    page.get_by_role("link", name=people.world.cohort_a.name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(people.world.cohort_a.name)
    main = page.locator("main")
    p1_rows = main.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(r"^P1\b"))
    )
    scores = p1_rows.filter(has_text=re.compile(r"phq9|PHQ-9"))
    expect(scores).to_have_count(1)
    expect(scores).to_contain_text(str(PHQ9_TOTAL))
    shots.check(page, "cohort")

    p1_rows.get_by_role("link", name="P1").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record of P1")
    expect(page.locator("[data-measure=phq9] [data-score]").first).to_have_text(str(PHQ9_TOTAL))
    page.get_by_role("link", name="Questionnaires, status and links").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("P1")
    phq9 = (
        main.get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name="PHQ-9"))
        .filter(has_text="Baseline")
    )
    expect(phq9).to_contain_text("Complete")
    shots.check(page, "staff-enrolment")
    phq9.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patient Health Questionnaire-9")
    expect(page.get_by_role("region", name="Scores")).to_contain_text(str(PHQ9_TOTAL))
    shots.check(page, "staff-response")


def test_weekly_checkin_on_a_phone(
    browser: Any, base_url: str, people: People, shots: Shots
) -> None:
    phone = browser.new_context(base_url=base_url, **PHONE)
    page = phone.new_page()
    page.goto(f"/p/{people.p1_token}/")
    page.get_by_role("link", name="Check in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Week \d+ check-in"))
    shots.check(page, "checkin")
    # Each 0-10 scale fits one row on a 390 px screen: its eleven options share one top edge.
    for n in range(1, 6):
        tops = page.locator(f'input[name="q{n}"]').evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
        )
        assert len(tops) == 11 and len(set(tops)) == 1, (n, tops)
    # No question asked twice: "which practice" is the list, not also a free-text box.
    expect(page.get_by_text("If you practised, which practice did you use?")).to_have_count(0)
    page.get_by_role("button", name="Save my check-in").click()  # nothing answered yet
    # The page reloads at the top: a summary there links to each missing answer.
    summary = page.get_by_role("alert").filter(has_text="Some answers are missing")
    expect(summary).to_be_in_viewport()
    expect(summary.get_by_role("link")).to_have_count(5)  # the five 0-10 ratings
    expect(page.get_by_text("Please answer this question").first).to_be_visible()
    shots.check(page, "checkin-with-errors")
    summary.get_by_role("link", name=re.compile("^Pain intensity")).click()
    expect(page.locator("#id_q5_0")).to_be_in_viewport()
    # Practice minutes may be left empty: the five ratings are enough.
    for n, value in zip(range(1, 6), ("6", "5", "4", "5", "7"), strict=True):
        page.locator(f'input[name="q{n}"][value="{value}"]').check()
    page.get_by_role("button", name="Save my check-in").click()
    expect(page.get_by_role("status")).to_contain_text("your check-in was saved")
    phone.close()
    checkin = CheckIn.objects.get(enrolment=people.world.enrolment_p1)
    assert checkin.scores["mood"] == 6 and checkin.scores["practice_minutes"] is None


def test_a_participant_cannot_open_another_participants_pages(
    browser: Any, base_url: str, people: People, shots: Shots
) -> None:
    from balm.outcomes.actions import submit_response

    theirs = phq9_baseline(people, "enrolment_p2")
    submit_response(
        assessment=theirs,
        answers={f"q{i}": 0 for i in range(1, 10)},
        client_id="browser-p2",
        by=people.world.p2,
    )
    phone = browser.new_context(base_url=base_url, **PHONE)
    page = phone.new_page()
    page.goto(f"/p/{people.p1_token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaires")
    for name in ("questionnaire", "questionnaire-done"):
        url = reverse(name, args=[theirs.pk])
        reply = page.goto(url)
        assert reply is not None and reply.status == 404, f"P1 could open {url}"
        expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
        expect(page.locator("main")).not_to_contain_text("Sam Two")
    shots.check(page, "not-found")
    # staff pages are not for participants either
    for url in (reverse("cohort", args=[people.world.cohort_a.pk]), reverse("home")):
        page.goto(url)
        assert urlsplit(page.url).path != url, f"P1 could open the staff page {url}"
        expect(page.locator("main")).not_to_contain_text("Cohort A")
    # P1 still sees only their own questionnaires
    page.goto(reverse("my-questionnaires"))
    expect(page.get_by_role("link", name="Start PHQ-9")).to_be_visible()
    phone.close()


def test_revoked_or_expired_links_show_the_invalid_link_page(
    browser: Any, base_url: str, people: People, shots: Shots
) -> None:
    phone = browser.new_context(base_url=base_url, **PHONE)
    page = phone.new_page()
    page.goto(f"/p/{people.p1_token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaires")

    revoke_participant_link(link=people.p1_link, by=people.world.facilitator_a)
    reply = page.goto(reverse("my-questionnaires"))  # the open session ends at once
    assert reply is not None and reply.status == 404
    reply = page.goto(f"/p/{people.p1_token}/")
    assert reply is not None and reply.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not working")
    shots.check(page, "link-revoked")

    ParticipantLink.objects.filter(participant=people.world.p2).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    reply = page.goto(f"/p/{people.p2_token}/")
    assert reply is not None and reply.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not working")
    reply = page.goto("/p/not-a-real-token/")
    assert reply is not None and reply.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not working")
    phone.close()


def test_a_shared_phone_forgets_the_participant(
    browser: Any, base_url: str, people: People, shots: Shots
) -> None:
    """Issue #8: someone who came by personal link can sign out; the pages are not kept in the
    browser's cache, and the session cookie ends with the browser."""
    phone = browser.new_context(base_url=base_url, **PHONE)
    page = phone.new_page()
    reply = page.goto(f"/p/{people.p1_token}/")
    assert reply is not None and "no-store" in (reply.headers.get("cache-control") or "")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaires")
    session = [c for c in phone.cookies() if c["name"] == "sessionid"]
    assert session and session[0]["expires"] == -1  # a browser-session cookie
    page.get_by_role("button", name="Sign out (forget this device)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out on this device")
    shots.check(page, "signed-out")
    reply = page.goto(reverse("my-questionnaires"))
    assert reply is not None and reply.status == 404
    # Back to the questionnaires page: asked again (no-store), not shown from the cache.
    page.go_back()
    page.go_back()
    expect(page.locator("main")).not_to_contain_text("PHQ-9")
    phone.close()


def test_a_participant_signing_in_on_a_shared_phone_gets_a_browser_session(
    browser: Any, base_url: str, people: People
) -> None:
    """Issue #8: a participant's account log-in, like a personal link, is not kept for 14 days
    on a shared phone: its cookie ends with the browser."""
    phone = browser.new_context(base_url=base_url, **PHONE)
    page = phone.new_page()
    page.goto(reverse("login"))
    page.get_by_label("Username").fill("p1_user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaires")
    session = [c for c in phone.cookies() if c["name"] == "sessionid"]
    assert session and session[0]["expires"] == -1  # a browser-session cookie
    phone.close()
