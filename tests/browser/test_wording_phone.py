"""A participant answers a questionnaire in a site's own wording on a 390 px phone: the PDI
with placeholder wording (built from each item's concept and marked as a placeholder), loaded
for site A only. Every page is screenshotted and scanned with axe-core (see conftest.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from balm.instruments import get_instrument
from balm.instruments.wording import PLACEHOLDER_MARK, placeholder_data
from balm.outcomes.models import Response
from balm.wording import actions

from .conftest import PHONE, People, Shots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_placeholder_worded_pdi_on_a_phone(
    browser: Any, base_url: str, people: People, shots: Shots
) -> None:
    world = people.world
    pdi = get_instrument("pdi")
    actions.load_wording(
        site=world.site_a,
        instrument_id="pdi",
        data=placeholder_data(pdi),
        by=world.admin_a,
        placeholder=True,
    )
    actions.enable_online(site=world.site_a, instrument_id="pdi", by=world.admin_a)
    assessment = world.enrolment_p1.assessments.get(instrument_id="pdi", timepoint="baseline")

    phone = browser.new_context(base_url=base_url, **PHONE)
    page = phone.new_page()
    page.goto(f"/p/{people.p1_token}/")
    page.get_by_role("link", name="Start PDI").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pain Disability Index")
    expect(page.locator(".instructions")).to_contain_text(PLACEHOLDER_MARK)
    for number, items in ((1, (1, 2, 3)), (2, (4, 5, 6)), (3, (7,))):
        expect(page.get_by_text(f"Page {number} of 3")).to_be_visible()
        for n in items:
            concept = pdi.item(f"q{n}").concept
            group = page.get_by_role("group", name=re.compile(re.escape(concept)))
            expect(group).to_contain_text(PLACEHOLDER_MARK)
            group.get_by_role("radio", name="3", exact=True).check()
        # Nothing is wider than the phone (no sideways scrolling with eleven options).
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shots.check(page, f"pdi-page-{number}")
        button = "Send my answers" if number == 3 else "Save and continue"
        page.get_by_role("button", name=button).click()
    expect(page.get_by_text("Thank you")).to_be_visible()
    shots.check(page, "pdi-done")
    phone.close()
    response = Response.objects.get(assessment=assessment)
    # Seven domains answered 3: total 7 x 3 = 21 (sum of the seven, Pollard 1984).
    assert response.scores["total"] == 21.0
    assert response.wording is not None and response.wording.placeholder


def test_an_administrator_loads_wording_in_the_admin(
    browser: Any, base_url: str, people: People, shots: Shots, tmp_path: Any
) -> None:
    """A broken file lists every problem and loads nothing; the fixed file loads."""
    from tests.web.wording_support import broken_pdi_yaml, pdi_yaml

    from balm.wording.models import InstrumentWording

    from .conftest import DESKTOP, PASSWORD

    world = people.world
    broken = tmp_path / "pdi.yaml"
    broken.write_text(broken_pdi_yaml(), encoding="utf-8")
    page = browser.new_context(base_url=base_url, **DESKTOP).new_page()
    page.goto("/admin/wording/instrumentwording/add/")
    page.get_by_label("Username").fill(world.admin_a.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Load licensed wording")
    shots.check(page, "load-wording", admin=True)
    page.get_by_label("Instrument").select_option("pdi")
    page.get_by_label("Wording file").set_input_files(str(broken))
    page.get_by_role("button", name="Load wording").click()
    problems = page.locator("#wording-problems li")
    expect(problems).to_have_count(3)
    expect(page.get_by_role("alert")).to_contain_text("Nothing was loaded")
    shots.check(page, "load-wording-problems", admin=True)
    assert not InstrumentWording.objects.exists()
    fixed = tmp_path / "pdi-fixed.yaml"
    fixed.write_text(pdi_yaml(), encoding="utf-8")
    page.get_by_label("Instrument").select_option("pdi")
    page.get_by_label("Wording file").set_input_files(str(fixed))
    page.get_by_role("button", name="Load wording").click()
    expect(page.locator(".messagelist")).to_contain_text("Loaded pdi wording v1")
    shots.check(page, "wording-list", admin=True)
    assert InstrumentWording.objects.get().site == world.site_a
