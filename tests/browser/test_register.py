"""The attendance register in a real browser: one row per person, "mark all present" keeping a
chosen mark, withdrawn people left out; screenshots and an axe-core scan."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from tests.web import factories
from tests.web.conftest import World

from balm.programmes.actions import change_enrolment_status
from balm.programmes.models import Attendance

from .conftest import PASSWORD, Shots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_a_facilitator_takes_the_register(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    factories.enrol(factories.participant(world.site_a, "P3"), world.cohort_a)
    change_enrolment_status(
        enrolment=world.enrolment_p1, status="withdrawn", reason="Moved", by=None
    )
    session = world.cohort_a.sessions.get(number=1)
    page = browser.new_context(
        base_url=base_url, viewport={"width": 1366, "height": 900}
    ).new_page()
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(world.facilitator_a.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(reverse("session", args=[session.pk]))
    register = page.get_by_role("table", name="Attendance at session 1")
    expect(register.locator("[data-register]")).to_have_count(2)  # P2 and P3; P1 withdrew
    shots.check(page, "register-empty")
    # each radio is named by its person and its column
    page.get_by_role("radio", name=re.compile(r"^P2 .*Apologies sent$")).check()
    page.get_by_role("button", name="Mark all present").click()
    expect(page.get_by_role("status").first).to_contain_text("Attendance for session 1 saved")
    expect(page.get_by_role("radio", name=re.compile(r"^P2 .*Apologies sent$"))).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile(r"^P3 .*Present$"))).to_be_checked()
    shots.check(page, "register-saved")
    marks = dict(
        Attendance.objects.filter(session=session).values_list(
            "enrolment__participant__pseudonym", "mark"
        )
    )
    assert marks == {"P2": "apologies", "P3": "present"}
    page.context.close()
