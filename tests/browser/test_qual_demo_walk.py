"""The demo's interviews as a researcher meets them in `make demo`, in Chromium at 1366x900,
every page screenshotted and scanned: the sources with their timepoints (the interviews were
held after the group ended), a passage coded in the reader, the theme board, the recurrence
table of the demo's group themes and the two demo coders compared."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from balm.qualitative.models import Coding, QualProject, Source
from balm.web.demo import DEMO_PASSWORD, load_demo

from .conftest import Shots
from .test_qual_workspace import STAFF, _select_with_mouse

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_the_demo_interviews_are_coded_themed_and_compared(
    browser: Any, base_url: str, shots: Shots
) -> None:
    load_demo()
    project = QualProject.objects.get(name="Demo CFT interviews")
    page = browser.new_context(base_url=base_url, **STAFF).new_page()
    page.goto(reverse("login"))
    page.get_by_label("Username").fill("coder_a")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(reverse("qual:projects"))
    page.get_by_role("link", name="Demo CFT interviews").click()
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Sources").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sources")
    aspen = Source.objects.get(project=project, name="interview_aspen")
    expect(page.get_by_label("Timepoint of interview_aspen")).to_have_value("end")
    expect(page.get_by_label("Timepoint of focus_group_facilitators")).to_have_value("")
    shots.check(page, "demo-sources")
    page.get_by_label("Timepoint", exact=True).select_option(label="End")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Sources of the chosen timepoint (6)")).to_be_visible()

    page.get_by_role("link", name="interview_aspen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("interview_aspen")
    shots.check(page, "demo-reader")
    before = Coding.objects.filter(source=aspen, deleted_at__isnull=True).count()
    _select_with_mouse(page, "wading through wet sand")
    page.get_by_label("Find a code").fill("physical")
    page.get_by_role("checkbox", name="Physical limits").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#reader-result")).to_contain_text("Coded")
    assert Coding.objects.filter(source=aspen, deleted_at__isnull=True).count() == before + 1
    shots.check(page, "demo-reader-coded")

    page.goto(reverse("qual:themes", args=[project.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Theme board")
    shots.check(page, "demo-theme-board")
    page.goto(reverse("qual:recurrence", args=[project.pk]))
    table = page.locator("table.recurrence")
    expect(table.get_by_role("columnheader", name="Aspen")).to_be_visible()
    expect(table.locator("td.present").first).to_be_visible()
    shots.check(page, "demo-recurrence")

    page.goto(reverse("qual:compare", args=[project.pk]))
    page.get_by_role("checkbox", name="interview_aspen").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_text("not settled yet")).to_be_visible()
    shots.check(page, "demo-compare")
