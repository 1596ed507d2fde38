"""Two-factor sign-in for staff (django-otp): who must use it, the gate in front of every
staff page and the API's session authentication, set-up, codes, recovery codes, and wrong
codes counting towards the sign-in lock. ``BALM_STAFF_2FA`` is off in the test settings for
the other tests; every test here switches it on."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.web import factories
from tests.web.totp import hotp, totp
from tests.web.url_walk import pages, world_values

from balm.accounts import permissions
from balm.api.actions import issue_api_token
from balm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse"  # tests.web.factories.user
SECRET = re.compile(r'id="totp-secret" class="secret">([A-Z2-7 ]+)<')
CODES = re.compile(r"<li><code>([a-z0-9]+)</code></li>")


@pytest.fixture(autouse=True)
def two_factor_on(settings) -> None:  # type: ignore[no-untyped-def]
    settings.BALM_STAFF_2FA = True


def test_the_tests_totp_matches_the_rfc_6238_vectors() -> None:
    # RFC 6238 appendix B, SHA-1 key "12345678901234567890", 8 digits: T=59 -> 94287082,
    # T=1111111109 -> 07081804 (30-second steps: counters 1 and 37037036).
    key = b"12345678901234567890"
    assert hotp(key, 59 // 30, digits=8) == "94287082"
    assert hotp(key, 1111111109 // 30, digits=8) == "07081804"
    assert totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", at=59) == "287082"


def test_administrators_researchers_and_superusers_must_use_it(world, settings) -> None:  # type: ignore[no-untyped-def]
    superuser = factories.user("root", is_superuser=True)
    for person in (world.admin_a, world.researcher_a, superuser):
        assert permissions.must_use_two_factor(person)
    for person in (world.facilitator_a, world.p1_user):
        assert not permissions.must_use_two_factor(person)
    settings.BALM_STAFF_2FA = False
    assert not permissions.must_use_two_factor(world.admin_a)


def test_facilitators_must_use_it_where_their_site_asks(world) -> None:  # type: ignore[no-untyped-def]
    world.site_a.facilitators_need_two_factor = True
    world.site_a.save(update_fields=["facilitators_need_two_factor"])
    assert permissions.must_use_two_factor(world.facilitator_a)
    assert not permissions.must_use_two_factor(world.facilitator_b)  # site B does not ask
    client = Client()
    client.force_login(world.facilitator_a)
    assert client.get(reverse("home")).status_code == 302
    client.force_login(world.facilitator_b)
    assert client.get(reverse("home")).status_code == 200


def test_every_page_sends_a_half_signed_in_administrator_to_the_second_step(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.admin_a)
    open_names = ("login", "logout", "admin:logout", "two-factor", "two-factor-setup")
    open_paths = {reverse(name) for name in open_names}
    walked = [
        p for p in pages(world_values(world)) if not p.startswith("/api/") and p not in open_paths
    ]
    walked += ["/admin/accounts/", "/admin/accounts/site/"]
    assert len(walked) > 30
    for path in walked:
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer["Location"].startswith(reverse("two-factor") + "?next="), path


def _set_up(client: Client) -> tuple[str, list[str]]:
    """Set the app up through the page; returns the secret shown and the recovery codes."""
    page = client.get(reverse("two-factor-setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<img class="qr" src="data:image/svg+xml;charset=utf-8,' in html
    secret = SECRET.search(html)[1]  # type: ignore[index]
    done = client.post(reverse("two-factor-setup"), {"code": totp(secret)})
    assert done.status_code == 200, done.content.decode()[:2000]
    codes = CODES.findall(done.content.decode())
    return secret, codes


def _password(client: Client, username: str) -> str:
    answer = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert answer.status_code == 302
    return str(answer["Location"])


def test_set_up_then_sign_in_with_a_code_or_a_recovery_code(world) -> None:  # type: ignore[no-untyped-def]
    first = Client()
    first.force_login(world.researcher_a)
    assert first.get(reverse("home"))["Location"].startswith(reverse("two-factor"))
    # with no app yet the second step sends them to set it up
    assert first.get(reverse("two-factor"))["Location"].startswith(reverse("two-factor-setup"))
    secret, codes = _set_up(first)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert first.get(reverse("home")).status_code == 200  # verified by the set-up code
    assert AuditEvent.objects.filter(action="two_factor.enable", actor=world.researcher_a).exists()

    # a new browser: password, then a code (the app one step ahead: the set-up used this one)
    second = Client()
    assert _password(second, "res_a") == "/"
    assert second.get(reverse("home"))["Location"].startswith(reverse("two-factor"))
    signed_in = second.post(reverse("two-factor"), {"code": totp(secret, step_offset=1)})
    assert signed_in.status_code == 302
    assert second.get(reverse("home")).status_code == 200

    # a third: a recovery code works once
    third = Client()
    _password(third, "res_a")
    assert third.post(reverse("two-factor"), {"code": codes[0]}).status_code == 302
    assert third.get(reverse("home")).status_code == 200
    fourth = Client()
    _password(fourth, "res_a")
    again = fourth.post(reverse("two-factor"), {"code": codes[0]})
    assert again.status_code == 200 and b"did not work" in again.content


def test_a_wrong_first_code_sets_nothing_up(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.researcher_a)
    client.get(reverse("two-factor-setup"))
    wrong = client.post(reverse("two-factor-setup"), {"code": "000000"})
    assert wrong.status_code == 200 and b"did not match" in wrong.content
    assert not TOTPDevice.objects.filter(user=world.researcher_a, confirmed=True).exists()
    assert client.get(reverse("home")).status_code == 302


def test_half_signed_in_cannot_replace_an_app_already_set_up(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.admin_a)
    _set_up(client)
    other = Client()
    other.force_login(world.admin_a)  # a stolen password: no code
    assert other.get(reverse("two-factor-setup"))["Location"] == reverse("two-factor")


def test_api_session_needs_the_second_step_and_a_token_does_not(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.admin_a)
    assert client.get("/api/cohorts").status_code == 401
    _set_up(client)
    assert client.get("/api/cohorts").status_code == 200
    _, token = issue_api_token(user=world.researcher_a, name="script", by=None)
    with_token = Client().get("/api/cohorts", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert with_token.status_code == 200


def test_wrong_codes_count_as_failed_sign_ins_and_lock(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    # django-otp's own back-off (1, 2... seconds, tested below) would refuse the quick
    # retries here before they count; this test is about the count.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    setup = Client()
    setup.force_login(world.admin_a)
    _set_up(setup)
    client = Client()
    _password(client, "admin_a")
    for _ in range(2):
        assert client.post(reverse("two-factor"), {"code": "000000"}).status_code == 200
    locked = client.post(reverse("two-factor"), {"code": "000000"})
    assert locked.status_code == 429 and b"locked" in locked.content
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))  # signed out
    refused = Client().post(reverse("login"), {"username": "admin_a", "password": PASSWORD})
    assert refused.status_code == 429


def test_participants_have_no_two_factor_pages(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.p1_user)
    for name in ("two-factor", "two-factor-setup", "account-security"):
        assert client.get(reverse(name)).status_code == 404, name
    assert client.get(reverse("my-questionnaires")).status_code == 200


def test_reset_two_factor_command_removes_the_app_and_is_audited(world) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    client = Client()
    client.force_login(world.admin_a)
    _set_up(client)
    out = StringIO()
    call_command("reset_two_factor", "admin_a", stdout=out)
    assert "2 device(s) removed" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=world.admin_a).exists()
    assert AuditEvent.objects.filter(action="two_factor.reset").count() == 1
    again = Client()
    again.force_login(world.admin_a)
    assert again.get(reverse("two-factor"))["Location"].startswith(reverse("two-factor-setup"))


def test_an_administrator_sets_the_facilitator_rule_and_token_days_in_the_admin(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.admin_a)
    _set_up(client)
    url = f"/admin/accounts/site/{world.site_a.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="facilitators_need_two_factor"' in form and 'name="api_token_days"' in form


SIGN_IN_PAGES = [
    ("get", "two-factor"),
    ("get", "two-factor-setup"),
    ("get", "account-security"),
    ("post", "recovery-codes"),
    ("post", "sign-out-everywhere"),
    ("get", "sign-in-locks"),
]


@pytest.mark.parametrize(("method", "name"), SIGN_IN_PAGES)
def test_the_sign_in_pages_are_for_staff(world, method, name) -> None:  # type: ignore[no-untyped-def]
    anonymous = getattr(Client(), method)(reverse(name))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    participant = Client()
    participant.force_login(world.p1_user)
    assert getattr(participant, method)(reverse(name)).status_code == 404


def test_a_superuser_on_a_fresh_install_sets_up_before_any_site_exists(db) -> None:  # type: ignore[no-untyped-def]
    root = factories.user("root", is_superuser=True)
    client = Client()
    client.force_login(root)
    assert client.get("/admin/")["Location"].startswith(reverse("two-factor"))
    assert client.get(reverse("two-factor"))["Location"].startswith(reverse("two-factor-setup"))
    _set_up(client)
    assert client.get("/admin/").status_code == 200


def test_a_quick_retry_after_a_wrong_code_waits_and_is_not_a_failure(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute's back-off: no race with a slow machine
    setup = Client()
    setup.force_login(world.admin_a)
    secret, _ = _set_up(setup)
    client = Client()
    _password(client, "admin_a")
    client.post(reverse("two-factor"), {"code": "000000"})
    # within django-otp's back-off even the right code is refused, and not counted
    quick = client.post(reverse("two-factor"), {"code": totp(secret, step_offset=1)})
    assert quick.status_code == 200 and b"wait a few seconds" in quick.content
    assert AccessAttempt.objects.get(username="admin_a").failures_since_start == 1
