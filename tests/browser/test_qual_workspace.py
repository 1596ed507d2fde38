"""The researcher's qualitative workspace in Chromium, every page screenshotted and scanned with
axe-core: upload a transcript with planted identifiers and see them replaced before it is kept;
code a passage with the mouse and another with the keyboard alone; the codebook and memos."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from tests.web.conftest import World
from tests.web.qual_support import qual_world

from balm.qualitative.models import Coding, Source

from .conftest import PASSWORD, Shots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]
STAFF = {"viewport": {"width": 1366, "height": 900}}


def _log_in(browser: Any, base_url: str, user: Any) -> Any:
    page = browser.new_context(base_url=base_url, **STAFF).new_page()
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return page


def test_upload_with_a_planted_name_review_and_keep(
    browser: Any, base_url: str, world: World, shots: Shots, tmp_path: Path
) -> None:
    qw = qual_world(world)
    page = _log_in(browser, base_url, world.researcher_a)
    page.goto(reverse("qual:projects"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Interview projects")
    shots.check(page, "projects")
    page.get_by_role("link", name="Study A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Study A")
    shots.check(page, "project-home")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Sources").click()
    shots.check(page, "sources")

    transcript = tmp_path / "p1_end_of_group.txt"
    transcript.write_text(
        "Interviewer: How are things now?\n"
        "P1: Pat One here. I walk by the canal in Larkfield most days.\n"
        "Interviewer: And the pain?\n"
        "P1: Still there, but I am kinder to myself about it.\n",
        encoding="utf-8",
    )
    page.get_by_label("Files").set_input_files(str(transcript))
    page.get_by_label("Participant").select_option(label="P1")
    page.get_by_role("button", name="Read the files").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the pseudonymisation")
    report = page.get_by_role("table")
    expect(report).to_contain_text("Pat One")
    expect(report).to_contain_text("P1")
    shots.check(page, "review")
    assert not Source.objects.filter(name="p1_end_of_group").exists()

    page.get_by_label("Word or name to replace").fill("Larkfield")
    page.get_by_label("Replace with").fill("place")
    page.get_by_role("button", name="Add and run again").click()
    expect(page.get_by_role("table")).to_contain_text("[place]")
    page.get_by_text("The text as it will be kept").click()
    kept_text = page.get_by_role("region", name="Text of p1_end_of_group")
    expect(kept_text).to_contain_text("in [place] most days")
    expect(kept_text).not_to_contain_text("Pat One")
    shots.check(page, "review-with-term")

    page.get_by_role("button", name="Keep 1 source").click()
    expect(page.get_by_role("status").first).to_contain_text("Added 1 source")
    source = Source.objects.get(name="p1_end_of_group")
    assert "Pat One" not in source.text and "Larkfield" not in source.text
    assert "P1: P1 here. I walk by the canal in [place] most days." in source.text
    assert source.participant == world.p1
    page.get_by_role("link", name="p1_end_of_group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("p1_end_of_group")
    expect(page.get_by_role("region", name="Transcript")).to_contain_text("[place]")
    shots.check(page, "reader-new-source")
    assert qw.project.sources.count() == 2
    page.context.close()


def _select_with_mouse(page: Any, phrase: str) -> None:
    """Press the mouse at the phrase's first character and release it after its last."""
    box = page.evaluate(
        """(phrase) => {
            const root = document.getElementById('transcript');
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const i = node.textContent.indexOf(phrase);
                if (i < 0) continue;
                const r = document.createRange();
                r.setStart(node, i); r.setEnd(node, i + 1);
                const a = r.getBoundingClientRect();
                r.setStart(node, i + phrase.length - 1); r.setEnd(node, i + phrase.length);
                const b = r.getBoundingClientRect();
                return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1,
                        y2: b.top + b.height / 2};
            }
            return null;
        }""",
        phrase,
    )
    assert box is not None, phrase
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=8)
    page.mouse.up()


def test_code_with_the_mouse_and_with_the_keyboard_alone(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    qw = qual_world(world)
    page = _log_in(browser, base_url, world.researcher_a)
    page.goto(reverse("qual:reader", args=[qw.project.pk, qw.source.pk]))
    shots.check(page, "reader")
    text = qw.source.text

    # --- the mouse ---------------------------------------------------------------------------
    phrase = "I was wary"
    _select_with_mouse(page, phrase)
    status = page.locator("#selection-status")
    expect(status).to_contain_text("Selected 3 words")
    expect(page.locator("#selection-text")).to_have_text(phrase)
    page.get_by_label("Find a code").fill("self")
    page.get_by_role("checkbox", name="Self-kindness").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#reader-result")).to_contain_text("Coded")
    start = text.index(phrase)
    coding = Coding.objects.get(code=qw.other_code, coder__user=world.researcher_a)
    assert (coding.start, coding.end) == (start, start + len(phrase))
    margin = page.locator(f'[data-coding="{coding.pk}"]')
    expect(margin).to_contain_text("Self-kindness")
    shots.check(page, "reader-coded-with-mouse")

    # remove it from the margin, then undo
    margin.get_by_role("button", name="Remove Self-kindness by res_a").click()
    expect(page.locator("#reader-result")).to_contain_text("Removed the coding Self-kindness")
    coding.refresh_from_db()
    assert coding.deleted_at is not None
    page.locator("#reader-result").get_by_role("button", name="Undo").click()
    expect(page.locator("#reader-result")).to_contain_text("The coding is back")
    coding.refresh_from_db()
    assert coding.deleted_at is None

    # an exploratory note on the same passage (n goes to the note), made a statement
    page.locator(f'[data-coding="{coding.pk}"]').get_by_role(
        "button", name=re.compile("^Show")
    ).click()
    expect(page.locator("#selection-text")).to_have_text(phrase)
    page.keyboard.press("n")
    page.keyboard.type("Guarded at first")
    page.get_by_label("Kind", exact=True).select_option("linguistic")
    page.get_by_role("button", name="Add the note").click()
    expect(page.locator("#reader-result")).to_contain_text("Linguistic note added")
    page.get_by_role("button", name="Make an experiential statement").click()
    expect(page.get_by_role("status").first).to_contain_text("Experiential statement")
    expect(page.locator(".margin-note .badge")).to_have_text("Experiential statement")
    shots.check(page, "reader-note-statement")

    # --- the keyboard alone: Tab to the transcript, j j (second P1 turn), . (first sentence),
    # c (to the code picker), type, Enter ticks the first match, Tab to Apply, Enter ---------
    page.goto(reverse("qual:reader", args=[qw.project.pk, qw.source.pk]))
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "transcript":
            break
    else:
        pytest.fail("Tab never reached the transcript")
    for key in ("j", "j", "j", "j", "."):
        page.keyboard.press(key)
    sentence = "Being kind to myself."
    expect(page.locator("#selection-text")).to_have_text(sentence)
    page.keyboard.press("Shift+.")  # extend by the next sentence
    two = "Being kind to myself. It felt like giving up."
    expect(page.locator("#selection-text")).to_have_text(two)
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "code-filter"
    page.keyboard.type("breath")
    page.keyboard.press("Enter")
    expect(page.get_by_role("checkbox", name="Coping › Breathing")).to_be_checked()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Apply":
            break
    page.keyboard.press("Enter")
    expect(page.locator("#reader-result")).to_contain_text("Coded")
    start = text.index(two)
    assert Coding.objects.filter(
        code=qw.code, coder__user=world.researcher_a, start=start, end=start + len(two)
    ).exists()
    shots.check(page, "reader-coded-with-keyboard")

    # --- the layer where the two coders differ ---------------------------------------------------
    page.get_by_label("Show codings of").select_option(label="Where two coders differ")
    page.get_by_role("button", name="Show").first.click()
    expect(page.locator(".seg.differ").first).to_be_visible()
    shots.check(page, "reader-differ")
    page.context.close()


def test_codebook_code_and_memos_pages(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    qw = qual_world(world)
    page = _log_in(browser, base_url, world.researcher_a)
    page.goto(reverse("qual:codebook", args=[qw.project.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Codebook")
    shots.check(page, "codebook")
    page.get_by_role("link", name="Breathing").click()
    page.get_by_label("New name").fill("Breathing space")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Breathing space")
    shots.check(page, "code")
    page.get_by_role("button", name=re.compile("^Undo rename")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Breathing")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Memos").click()
    page.get_by_role("textbox", name="Memo").fill("Breathing looks like a way in to self-kindness.")
    page.get_by_role("button", name="Save the memo").click()
    expect(page.locator(".qual-memos")).to_contain_text("a way in to self-kindness")
    shots.check(page, "memos")
    page.context.close()
