"""The participant record and the cohort page in a real browser at a laptop size (1366x900):
screenshots, an axe-core scan, and the scores tables reachable by keyboard."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from tests.web.conftest import World
from tests.web.record_data import NOTE, fill_record

from .conftest import PASSWORD, Shots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]
LAPTOP = {"viewport": {"width": 1366, "height": 900}}


def _log_in(page: Any, user: Any) -> None:
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_facilitator_reads_the_record_from_the_cohort_page(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    enrolment = fill_record(world)
    page = browser.new_context(base_url=base_url, **LAPTOP).new_page()
    _log_in(page, world.facilitator_a)
    page.goto(reverse("cohort", args=[world.cohort_a.pk]))
    people = page.get_by_role("region", name="Participants")
    # baseline 24 and end 9 (record_data: CORE10_24, CORE10_9), a fall of 15: the cohort page
    # shows the change since baseline with its category, not the latest score alone
    row = people.get_by_role("row", name=re.compile("^P1"))
    expect(row).to_contain_text("CORE-10 24 → 9 (−15): Recovered")
    shots.check(page, "cohort")
    # nothing is cut off at the right edge on a laptop screen
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    people.get_by_role("link", name="P1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record of P1")
    expect(page.locator("[data-measure=core10] [data-change]")).to_have_text("Recovered")
    expect(page.get_by_text(NOTE)).to_be_visible()
    shots.check(page, "record")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # the scores tables scroll inside a region that takes keyboard focus
    region = page.get_by_role("region", name="CORE-10: Psychological distress")
    for _ in range(40):
        page.keyboard.press("Tab")
        if region.evaluate("el => el === document.activeElement"):
            break
    expect(region).to_be_focused()

    # the safety answer, from the record: wording, answer, contact details, back to the record
    world.p1.phone = "07700 900123"
    world.p1.gp = "Riverside Surgery, 01632 960000 (test data)"
    world.p1.save()
    page.get_by_role("link", name=re.compile(r"^PHQ-9 item q9")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety answer")
    expect(page.locator("[data-answer]")).to_have_text("Several days (1)")
    expect(page.get_by_role("link", name="07700 900123")).to_have_attribute(
        "href", "tel:07700900123"
    )
    shots.check(page, "alert")
    page.get_by_role("link", name=re.compile(r"^P1")).click()
    expect(page).to_have_url(re.compile(f"/enrolments/{enrolment.pk}/record/$"))
    page.context.close()


def test_a_researcher_sees_the_record_pseudonymised(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    enrolment = fill_record(world)
    page = browser.new_context(base_url=base_url, **LAPTOP).new_page()
    _log_in(page, world.researcher_a)
    page.goto(reverse("record", args=[enrolment.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Record of P1")
    expect(page.locator("main")).not_to_contain_text(NOTE)
    shots.check(page, "record-researcher")
    page.context.close()
