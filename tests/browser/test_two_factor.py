"""Two-factor sign-in and sign-in locks in Chromium: an administrator sets up an
authenticator app (the code computed here from the secret the page shows), signs in again
with a code and with a recovery code; repeated wrong passwords lock an account, and an
administrator unlocks it. The CSP listener (conftest) is shown to catch a violation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from tests.web.totp import totp

from .conftest import DESKTOP, PASSWORD, CspWatchedBrowser, People, Shots, csp_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def password_step(
    browser: Any, base_url: str, username: str, password: str = PASSWORD, address: str = ""
) -> Any:
    """A new browser at the password step; ``address``: the client address a TLS proxy
    would report (``X-Forwarded-For``), for tests of per-address locks."""
    headers = {"X-Forwarded-For": address} if address else {}
    page = browser.new_context(base_url=base_url, extra_http_headers=headers, **DESKTOP).new_page()
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


def test_set_up_then_sign_in_with_a_code_and_a_recovery_code(
    browser: Any, base_url: str, people: People, shots: Shots, settings: Any
) -> None:
    settings.BALM_STAFF_2FA = True
    page = password_step(browser, base_url, "admin_a")
    # no app yet: the second step sends the administrator to set one up
    expect(page).to_have_url(re.compile(r"/account/two-factor/setup/\?next=/"))
    qr = page.get_by_role("img", name="QR code to add balm to an authenticator app")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 100
    shots.check(page, "two-factor-setup")
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(totp(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    shots.check(page, "recovery-codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your groups")

    # another browser: password, then the app's code (one step on: set-up used this one)
    again = password_step(browser, base_url, "admin_a")
    expect(again).to_have_url(re.compile(r"/account/two-factor/\?next=/"))
    shots.check(again, "two-factor-code")
    again.get_by_label("Code").fill("000000")
    again.get_by_role("button", name="Continue").click()
    expect(again.get_by_text("That code did not work").first).to_be_visible()
    shots.check(again, "two-factor-wrong-code")
    again.wait_for_timeout(1100)  # django-otp's back-off: one second after a wrong code
    again.get_by_label("Code").fill(totp(secret, step_offset=1))
    again.get_by_role("button", name="Continue").click()
    expect(again.get_by_role("heading", level=1)).to_have_text("Your groups")

    # a lost phone: a recovery code, good once
    lost = password_step(browser, base_url, "admin_a")
    lost.get_by_label("Code").fill(codes[0])
    lost.get_by_role("button", name="Continue").click()
    expect(lost.get_by_role("heading", level=1)).to_have_text("Your groups")
    expect(lost.get_by_text("You used a recovery code; 9 left")).to_be_visible()
    shots.check(lost, "home-after-recovery-code")


def test_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it(
    browser: Any, base_url: str, people: People, shots: Shots, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    # behind the TLS proxy the client address is the one it appends to X-Forwarded-For
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for _ in range(3):
        page = password_step(browser, base_url, "fac_a", "not the password", "10.1.1.1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signing in is locked for now")
    shots.check(page, "locked-out")
    # the right password, from another address: the account is locked
    locked = password_step(browser, base_url, "fac_a", address="10.1.1.2")
    expect(locked.get_by_role("heading", level=1)).to_have_text("Signing in is locked for now")

    admin = password_step(browser, base_url, "admin_a", address="10.1.1.3")
    admin.get_by_role("link", name="Security").click()
    shots.check(admin, "account-security")
    admin.get_by_role("link", name="Sign-in locks").click()
    shots.check(admin, "sign-in-locks")
    admin.get_by_role("button", name="Unlock fac_a").click()
    expect(admin.get_by_text("Unlocked fac_a")).to_be_visible()
    back = password_step(browser, base_url, "fac_a", address="10.1.1.2")
    expect(back.get_by_role("heading", level=1)).to_have_text("Your groups")
    shots.check(back, "home-after-unlock")


def test_the_listener_catches_a_csp_violation(browser: CspWatchedBrowser, base_url: str) -> None:
    page = browser.new_page()
    page.route(
        "http://csp.test/",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Security-Policy": "style-src 'self'; script-src 'self'"},
            content_type="text/html",
            body='<!doctype html><title>x</title><p style="color:red">x</p>',
        ),
    )
    page.goto("http://csp.test/")
    page.wait_for_timeout(200)
    assert any("style-src" in v for v in csp_violations(page))
    assert browser.violations  # Chromium's console message was heard too
    browser.violations.clear()  # planted: not a failure of this test
