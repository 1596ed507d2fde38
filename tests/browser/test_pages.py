"""Every other main page, screenshotted and scanned with axe-core: the staff pages (desktop,
facilitator and researcher), forms with their errors shown, and the participant's progress
page (phone)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from balm.outcomes.actions import submit_checkin, submit_response

from .conftest import DESKTOP, PASSWORD, PHONE, People, Shots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def log_in(browser: Any, base_url: str, username: str) -> Any:
    page = browser.new_context(base_url=base_url, **DESKTOP).new_page()
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your groups")
    return page


def visit(page: Any, url: str, shots: Shots, name: str) -> None:
    reply = page.goto(url)
    assert reply is not None and reply.status == 200, f"{url} gave {reply and reply.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shots.check(page, name)


@pytest.fixture
def answered(people: People) -> People:
    """P1 sent a baseline PHQ-9 with a safety answer and a week's check-in."""
    world = people.world
    submit_response(
        assessment=world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline"),
        answers={"q1": 2, "q2": 1, "q3": 1, "q4": 2, "q5": 0, "q6": 1, "q7": 0, "q8": 0, "q9": 1},
        client_id="7d3c3a0e-5b7e-4c35-9d43-1f1f0b7c2a01",
        by=world.p1,
    )
    submit_checkin(
        enrolment=world.enrolment_p1,
        week=1,
        answers={"q1": 5, "q2": 6, "q3": 4, "q4": 5, "q5": 7, "q6": 20, "q7": "", "q8": ""},
        client_id="7d3c3a0e-5b7e-4c35-9d43-1f1f0b7c2a02",
        practice_type="soothing_breathing",
        note="",
        by=world.p1,
    )
    return people


def test_staff_pages_pass_the_accessibility_scan(
    browser: Any, base_url: str, answered: People, shots: Shots
) -> None:
    world = answered.world
    page = log_in(browser, base_url, world.facilitator_a.username)
    shots.check(page, "staff-home")
    cohort = world.cohort_a
    p1_phq9 = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    p2_phq9 = world.enrolment_p2.assessments.get(instrument_id="phq9", timepoint="baseline")
    session = cohort.sessions.order_by("number").first()
    assert session is not None
    pages = [
        ("cohort", reverse("cohort", args=[cohort.pk])),
        ("cohort-create", reverse("cohort-create")),
        ("enrol", reverse("enrol", args=[cohort.pk])),
        ("enrol-csv", reverse("enrol-csv", args=[cohort.pk])),
        ("enrolment", reverse("enrolment", args=[world.enrolment_p1.pk])),
        ("session", reverse("session", args=[session.pk])),
        ("paper-entry", reverse("paper-entry", args=[p2_phq9.pk])),
        ("amend-response", reverse("amend-response", args=[p1_phq9.response.pk])),
        ("alert", reverse("alert", args=[p1_phq9.response.alerts.get().pk])),
    ]
    for name, url in pages:
        visit(page, url, shots, name)

    # forms with their errors showing
    page.goto(reverse("cohort-create"))
    page.locator("main form").get_by_role("button").last.click()
    expect(page.locator("main")).to_contain_text(re.compile("problem|Please|must", re.I))
    shots.check(page, "cohort-create-errors")
    page.goto(reverse("paper-entry", args=[p2_phq9.pk]))
    page.locator("main form").get_by_role("button").last.click()
    expect(page.locator("main")).to_contain_text(re.compile("problem|Please|must", re.I))
    shots.check(page, "paper-entry-errors")

    # a new personal link, shown once on the participant's page
    page.goto(reverse("enrolment", args=[world.enrolment_p2.pk]))
    page.get_by_role("button", name="Make a new personal link").click()
    expect(page.get_by_role("textbox", name="Personal link", exact=True)).to_have_value(
        re.compile(r"/p/")
    )
    shots.check(page, "enrolment-new-link")
    page.context.close()

    # the researcher sees pseudonyms only
    page = log_in(browser, base_url, world.researcher_a.username)
    visit(page, reverse("cohort", args=[cohort.pk]), shots, "cohort-researcher")
    expect(page.locator("main")).not_to_contain_text("Pat One")
    page.context.close()


def test_participant_progress_page_on_a_phone(
    browser: Any, base_url: str, answered: People, shots: Shots
) -> None:
    page = browser.new_context(base_url=base_url, **PHONE).new_page()
    page.goto(f"/p/{answered.p1_token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaires")
    visit(page, reverse("my-progress"), shots, "my-progress")
    expect(page.get_by_role("heading", level=1)).to_have_text("My progress")
    page.context.close()
