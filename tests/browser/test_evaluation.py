"""The Evaluation page in a real browser, on the demo's group (half-way through, with the demo
interviews): the report with its figures at 1366x900, a filter, every download (the files
read), the people behind a joint-display number; each state screenshotted and scanned."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from balm.web.demo import DEMO_PASSWORD, load_demo

from .conftest import Shots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

STAFF_DESKTOP = {"viewport": {"width": 1366, "height": 900}, "accept_downloads": True}


def _download(page: Any, name: str) -> bytes:
    with page.expect_download() as info:
        page.locator(f'a[data-download="{name}"]').click(no_wait_after=True)
    download = info.value
    assert download.suggested_filename.endswith(f".{name}")
    path = download.path()
    assert path is not None
    with open(path, "rb") as handle:
        return handle.read()


def test_the_evaluation_page_of_the_demo_group(browser: Any, base_url: str, shots: Shots) -> None:
    demo = load_demo()
    context = browser.new_context(base_url=base_url, **STAFF_DESKTOP)
    page = context.new_page()
    # The first view of a group's data builds its report on the server (seconds, and far more
    # on a loaded test machine); timings are measured in bench/evaluation.py, not here.
    page.set_default_timeout(240_000)
    page.goto(reverse("login"))
    page.get_by_label("Username").fill("researcher")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # --- from the group page -------------------------------------------------------------
    page.goto(reverse("cohort", args=[demo.cohort.pk]))
    expect(page.locator("[data-jacobson] img").first).to_be_visible()
    shots.check(page, "cohort-with-change")
    page.get_by_role("link", name="Evaluation report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Evaluation: {demo.cohort.name}")
    report = page.get_by_role("article", name="Evaluation report")
    expect(report.get_by_role("heading", name="1. Summary")).to_be_visible()
    # half-way through: compared with the mid-point. The page lists its figures, then its
    # script fetches the drawings and puts each in place: pictures that loaded, none left
    # waiting
    expect(report.locator("figure.figure-listed")).to_have_count(0, timeout=240_000)
    expect(report).not_to_have_attribute("aria-busy", "true")
    figures = report.locator("img.report-figure")
    assert figures.count() >= 2
    for n in range(figures.count()):
        assert figures.nth(n).evaluate("img => img.complete && img.naturalWidth > 0")
    shots.check(page, "evaluation")

    # --- a filter and the interviews ------------------------------------------------------
    page.get_by_label("Diagnosis").select_option("fibromyalgia")
    page.get_by_label("Interviews (qualitative project)").select_option(label="Demo CFT interviews")
    page.get_by_role("button", name="Show the report").click()
    expect(page).to_have_url(re.compile(r"diagnosis=fibromyalgia"))
    expect(page.get_by_label("Diagnosis")).to_have_value("fibromyalgia")
    expect(report.locator("figure.figure-listed")).to_have_count(0, timeout=240_000)
    shots.check(page, "evaluation-filtered")

    # --- every download is the filtered report ---------------------------------------------
    # Each format's link asks for the same report; the JSON and HTML files are fetched and
    # read here. (The PDF and XLSX files of a report are read in tests/report/test_report_render.py
    # and fetched through the view in tests/web/test_evaluation.py: rendering them again here
    # took a fifth of the browser tests' time.)
    hrefs = {
        name: page.locator(f'a[data-download="{name}"]').get_attribute("href")
        for name in ("json", "html", "pdf", "xlsx")
    }
    queries = {name: parse_qs(urlsplit(href or "").query) for name, href in hrefs.items()}
    for name, query in queries.items():
        assert query.pop("download") == [name]
        assert query["diagnosis"] == ["fibromyalgia"] and query.get("project"), hrefs
    assert all(query == queries["json"] for query in queries.values()), hrefs
    data = json.loads(_download(page, "json"))
    baseline = data["tables"]["baseline_diagnosis"]["rows"]
    assert [row[0] for row in baseline] == ["fibromyalgia"]
    assert data["qualitative_project"] is True
    html = _download(page, "html").decode()
    assert html.startswith("<!DOCTYPE html>") and data["title"] in html

    # --- behind a number of a joint display ----------------------------------------------------
    links = page.locator('article.report a[href*="/behind/"]')
    if links.count():
        links.first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Behind a number")
        shots.check(page, "behind-a-number")
        page.get_by_role("link", name="Back to the report").click()
        expect(page.get_by_label("Diagnosis")).to_have_value("fibromyalgia")
    context.close()
