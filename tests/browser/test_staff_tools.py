"""The staff tools outside the group pages, in a real browser, each state screenshotted and
scanned with axe-core: a facilitator's API tokens page (make a token, see it once, revoke it)
and the admin's "Copy to my site" confirmation for a template shipped with balm."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from tests.web import factories
from tests.web.conftest import World

from balm.accounts.models import hash_token
from balm.api.models import TOKEN_PREFIX, ApiToken
from balm.audit.models import AuditEvent
from balm.programmes.models import ProgrammeTemplate

from .conftest import DESKTOP, PASSWORD, Shots

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_a_facilitator_makes_a_token_sees_it_once_and_revokes_it(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    facilitator = world.facilitator_a
    page = browser.new_context(base_url=base_url, **DESKTOP).new_page()
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(facilitator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your groups")

    # --- the empty page, reached from the staff navigation -------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    expect(page).to_have_url(re.compile(r"/account/tokens/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    tokens = page.get_by_role("region", name="Your tokens")
    expect(tokens.get_by_role("cell", name="No tokens yet.")).to_be_visible()
    shots.check(page, "tokens-empty")

    # --- a token needs a name ------------------------------------------------------------
    page.get_by_role("button", name="Make the token").click()
    # the problem beside the field, and in the summary linking to it
    expect(page.get_by_text("Say what the token is for.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Name: Say what the token is for.")).to_have_attribute(
        "href", "#id_name"
    )
    expect(page.get_by_role("textbox", name="Token", exact=True)).to_have_count(0)
    shots.check(page, "tokens-name-missing")
    assert not ApiToken.objects.exists()

    # --- make one: it is shown once, on this response only --------------------------------
    page.get_by_role("textbox", name="Name").fill("Clinic tablet")
    page.get_by_role("button", name="Make the token").click()
    shown = page.get_by_role("status", name="Your new token")
    expect(shown).to_contain_text("it will not be shown again")
    token_box = shown.get_by_role("textbox", name="Token", exact=True)
    expect(token_box).to_have_value(re.compile("^" + re.escape(TOKEN_PREFIX)))
    expect(tokens.get_by_role("row", name=re.compile("^Clinic tablet"))).to_contain_text("Active")
    shots.check(page, "tokens-new-token-shown")
    token = token_box.input_value()
    saved = ApiToken.objects.get()
    assert saved.user == facilitator and saved.name == "Clinic tablet"
    assert saved.token_hash == hash_token(token) and token not in saved.token_hash

    # the token works on its own, in a browser context without the session
    bare = browser.new_context(base_url=base_url)
    bearer = {"Authorization": f"Bearer {token}"}
    assert bare.request.get("/api/cohorts", headers=bearer).status == 200

    # opening the page again never shows it
    page.goto(reverse("api-tokens"))
    expect(page.get_by_role("status", name="Your new token")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(token)

    # --- revoke it: it stops working at once --------------------------------------------
    row = tokens.get_by_role("row", name=re.compile("^Clinic tablet"))
    row.get_by_role("button", name="Revoke Clinic tablet").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Token “Clinic tablet” revoked: it no longer works."
    )
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    shots.check(page, "tokens-revoked")
    saved.refresh_from_db()
    assert saved.revoked_at is not None
    assert bare.request.get("/api/cohorts", headers=bearer).status == 401
    assert AuditEvent.objects.filter(action="api_token.issue", actor=facilitator).count() == 1
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=facilitator).count() == 1
    bare.close()
    page.context.close()


def test_an_administrator_copies_a_shipped_template_to_their_site(
    browser: Any, base_url: str, world: World, shots: Shots
) -> None:
    shipped = factories.template()
    assert shipped.site_id is None
    page = browser.new_context(base_url=base_url, **DESKTOP).new_page()
    page.goto(f"/admin/programmes/programmetemplate/{shipped.pk}/change/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill(world.admin_a.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("View programme"))

    page.get_by_role("link", name="Copy to my site").click()
    expect(page).to_have_url(
        re.compile(rf"/admin/programmes/programmetemplate/{shipped.pk}/copy/$")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Copy to my site")
    form = page.locator("#content-main")
    expect(form).to_contain_text(str(world.site_a))
    expect(form.get_by_role("textbox", name="Short name")).to_have_value(
        f"{world.site_a.slug}-{shipped.slug}"
    )
    expect(form.get_by_role("textbox", name="Name:", exact=True)).to_have_value(shipped.name)
    shots.check(page, "copy-to-my-site", admin=True)

    # a short name that is taken: the confirmation again, with the problem
    form.get_by_role("textbox", name="Short name").fill(shipped.slug)
    form.get_by_role("button", name="Copy to my site").click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(form).to_contain_text(f"A template with the short name {shipped.slug!r} exists.")
    shots.check(page, "copy-to-my-site-errors", admin=True)
    assert not ProgrammeTemplate.objects.filter(site=world.site_a).exists()

    form.get_by_role("textbox", name="Short name").fill("")  # the default: site, then template
    form.get_by_role("textbox", name="Name:", exact=True).fill("Our CFT programme")
    form.get_by_role("button", name="Copy to my site").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Copied “{shipped}” to {world.site_a}")
    copy = ProgrammeTemplate.objects.get(site=world.site_a, name="Our CFT programme")
    assert copy.slug == f"{world.site_a.slug}-{shipped.slug}"
    expect(page).to_have_url(re.compile(rf"/admin/programmes/programmetemplate/{copy.pk}/change/$"))
    assert copy.plans.count() == shipped.plans.count()
    page.context.close()
