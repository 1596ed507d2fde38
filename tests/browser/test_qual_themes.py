"""The analysis pages in a real browser, each state screenshotted and scanned with axe-core:
a group theme built from two participants' statements (one by drag and drop, one with the
keyboard form) and seen in the recurrence table; two coders compared and a disagreement
settled into the agreed layer; the suggestion pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from tests.web.conftest import World
from tests.web.qual_analysis_support import P1_STATEMENT, P2_STATEMENT, make_study

from balm.qualitative import actions
from balm.qualitative.models import Coder, Coding, Theme

from .conftest import PASSWORD, Shots
from .test_qual_workspace import _log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_a_group_theme_from_two_participants_statements_reaches_the_recurrence_table(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    study = make_study(world)
    page = _log_in(browser, base_url, world.researcher_a)
    page.goto(reverse("qual:themes", args=[study.project.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Theme board")
    shots.check(page, "board-start")

    # A group theme, made with the form.
    page.get_by_text("Make a theme").click()
    page.get_by_label("Name").fill("Connection with others")
    page.get_by_label("Level").select_option(label="Group experiential theme")
    page.get_by_role("button", name="Make the theme").click()
    expect(page.get_by_role("heading", name="Connection with others")).to_be_visible()
    group = Theme.objects.get(level="group")

    # P1's statement by drag and drop onto P1's personal theme.
    pet1_box = page.locator(f'[data-drop="{study.pet1.uid}"]')
    page.locator(f'[data-item="note:{study.n1.uid}"]').drag_to(pet1_box)
    expect(pet1_box.get_by_text("Isolation before the group")).to_be_visible()

    # P2's statement with the keyboard alone: P2's part of the board, then the Move form.
    page.get_by_label("Participant", exact=True).select_option(label="P2")
    page.get_by_role("button", name="Show").last.click()
    form = page.locator('[data-move-form="statement"]')
    form.get_by_label("Statement").select_option(label="Shared laughter")
    form.get_by_label("Put it in").select_option(label="Laughing again")
    form.get_by_role("button", name="Move").focus()
    page.keyboard.press("Enter")
    pet2_box = page.locator(f'[data-drop="{study.pet2.uid}"]')
    expect(pet2_box.get_by_text("Shared laughter")).to_be_visible()

    # Both personal themes into the group theme: one dragged, one by the form.
    group_box = page.locator(f'[data-drop="{group.uid}"]')
    page.locator(f'[data-item="theme:{study.pet1.uid}"]').drag_to(group_box)
    expect(group_box.get_by_text("Alone no more")).to_be_visible()
    form = page.locator('[data-move-form="middle"]')
    form.get_by_label("Personal theme").select_option(label="P2: Laughing again")
    form.get_by_label("Put it in").select_option(label="Connection with others")
    form.get_by_role("button", name="Move").click()
    expect(group_box.get_by_text("Laughing again")).to_be_visible()
    shots.check(page, "board-built")

    page.goto(reverse("qual:recurrence", args=[study.project.pk]))
    row = page.get_by_role("row", name="Connection with others")
    expect(row.get_by_role("cell").nth(0)).to_contain_text(P1_STATEMENT)
    expect(row.get_by_role("cell").nth(1)).to_contain_text(P2_STATEMENT)
    expect(row.get_by_role("cell").nth(2)).to_have_text("2 of 2")
    shots.check(page, "recurrence")
    with page.expect_download() as download:
        page.get_by_role("link", name="Table and quotes (Word)").click()
    assert download.value.suggested_filename == "recurrence.docx"

    page.goto(reverse("qual:themes", args=[study.project.pk]) + "?method=ta")
    shots.check(page, "board-thematic-analysis")


def test_two_coders_compared_and_a_disagreement_settled(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    study = make_study(world)
    actions.add_coding(source=study.s1, start=0, end=10, code=study.code, by=world.researcher_a)
    actions.add_coding(source=study.s1, start=5, end=20, code=study.code, by=world.admin_a)
    first = Coder.objects.get(user=world.researcher_a)
    second = Coder.objects.get(user=world.admin_a)
    page = _log_in(browser, base_url, world.researcher_a)
    page.goto(reverse("qual:compare", args=[study.project.pk]))
    page.get_by_label("First coder").select_option(label=first.name)
    page.get_by_label("Second coder").select_option(label=second.name)
    page.get_by_role("checkbox", name="P1 interview").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_text("1 of 1 not settled yet.")).to_be_visible()
    shots.check(page, "compare")

    section = page.locator("[data-disagreement]")
    section.get_by_label(f"{second.name}'s version").check()
    section.get_by_role("button", name="Settle").click()
    expect(page.get_by_text("0 of 1 not settled yet.")).to_be_visible()
    expect(page.locator("[data-settled]")).to_contain_text(second.name)
    shots.check(page, "compare-settled")
    agreed = Coder.objects.get(name=actions.AGREED_CODER)
    assert [(c.start, c.end) for c in Coding.objects.filter(coder=agreed)] == [(5, 20)]

    page.goto(reverse("qual:suggestions", args=[study.project.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Suggestions")
    shots.check(page, "suggestions")
    coding = Coding.objects.filter(coder=first).first()
    assert coding is not None
    page.goto(reverse("qual:suggest-like", args=[study.project.pk, coding.uid]))
    expect(page.get_by_role("heading", level=1)).to_have_text("More like this passage")
    shots.check(page, "more-like-this")
    page.goto(reverse("qual:session-notes", args=[study.project.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback and reflections")
    shots.check(page, "feedback-and-reflections")


def test_a_participant_gives_end_of_programme_feedback_on_a_phone(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from balm.programmes.actions import change_enrolment_status
    from balm.qualitative.models import ProgrammeFeedback

    from .conftest import PHONE

    for status in ("assessed", "started"):
        change_enrolment_status(enrolment=world.enrolment_p1, status=status, by=None)
    last = world.cohort_a.sessions.order_by("-number").first()
    last.date = timezone.localdate() + timedelta(days=2)
    last.save(update_fields=["date"])
    page = browser.new_context(base_url=base_url, **PHONE).new_page()
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(world.p1_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(reverse("my-questionnaires"))
    page.get_by_role("link", name="Give feedback").click()
    shots.check(page, "feedback-form")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Write an answer to at least one question.")
    shots.check(page, "feedback-problem")
    page.get_by_label("What helped you most in the programme?").fill(
        "The soothing rhythm breathing."
    )
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("[data-feedback-sent]")).to_be_visible()
    shots.check(page, "feedback-sent")
    assert ProgrammeFeedback.objects.get().helped == "The soothing rhythm breathing."
