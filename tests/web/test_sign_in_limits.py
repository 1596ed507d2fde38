"""Failed sign-ins lock the account and, separately, the address (django-axes); an
administrator lifts a lock on the sign-in locks page, audited; unknown personal links are
limited per address; the test client's ``force_login`` and ``login`` keep working."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from balm.accounts.actions import issue_participant_link
from balm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse"  # tests.web.factories.user


@pytest.fixture(autouse=True)
def three_failures(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3


def _sign_in(username: str, password: str, address: str = "10.0.0.1") -> int:
    answer = Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}
    )
    return int(answer.status_code)


def test_an_account_locks_after_repeated_failures_even_from_new_addresses(world) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        assert _sign_in("fac_a", "wrong", address=f"10.0.1.{n}") in (200, 429)
    # the right password from yet another address: the account is locked
    assert _sign_in("fac_a", PASSWORD, address="10.0.1.99") == 429
    assert _sign_in("fac_b", PASSWORD, address="10.0.1.99") == 302  # others are not


def test_an_address_locks_after_failures_at_several_accounts(world) -> None:  # type: ignore[no-untyped-def]
    for username in ("nobody1", "nobody2", "nobody3"):
        _sign_in(username, "wrong", address="10.0.2.1")
    assert _sign_in("fac_b", PASSWORD, address="10.0.2.1") == 429
    assert _sign_in("fac_b", PASSWORD, address="10.0.2.2") == 302


def test_the_admin_sign_in_is_limited_too(world) -> None:  # type: ignore[no-untyped-def]
    client = Client(REMOTE_ADDR="10.0.3.1")
    for _ in range(3):
        client.post("/admin/login/", {"username": "admin_a", "password": "wrong"})
    answer = client.post("/admin/login/", {"username": "admin_a", "password": PASSWORD})
    assert answer.status_code == 429


def test_success_resets_the_count(world) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        _sign_in("fac_a", "wrong")
    assert _sign_in("fac_a", PASSWORD) == 302
    for _ in range(2):
        _sign_in("fac_a", "wrong")
    assert _sign_in("fac_a", PASSWORD) == 302


def test_force_login_and_login_with_a_request_keep_working(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.facilitator_a)
    assert client.get(reverse("home")).status_code == 200
    # django-axes needs the request to count a sign-in; its documented test-client form
    other = Client()
    assert other.login(request=HttpRequest(), username="fac_a", password=PASSWORD)
    assert other.get(reverse("home")).status_code == 200
    assert not other.login(request=HttpRequest(), username="fac_a", password="wrong")
    # a sign-in with no request could not be counted, so it is refused rather than allowed
    with pytest.raises(ValueError, match="requires a request"):
        Client().login(username="fac_a", password=PASSWORD)


def _lock(username: str) -> None:
    for n in range(3):
        _sign_in(username, "wrong", address=f"10.0.4.{n}")


def test_an_administrator_unlocks_their_sites_staff_and_it_is_audited(world) -> None:  # type: ignore[no-untyped-def]
    _lock("fac_a")
    _lock("fac_b")  # staff of site B: not admin_a's to unlock
    admin = Client()
    admin.force_login(world.admin_a)
    page = admin.get(reverse("sign-in-locks"))
    assert page.status_code == 200
    assert b'data-lock="fac_a"' in page.content and b'data-lock="fac_b"' not in page.content
    refused = admin.post(reverse("sign-in-locks"), {"username": "fac_b"}, follow=True)
    assert b"only the staff of your sites" in refused.content
    assert _sign_in("fac_b", PASSWORD, address="10.0.9.9") == 429
    admin.post(reverse("sign-in-locks"), {"username": "fac_a"})
    assert _sign_in("fac_a", PASSWORD, address="10.0.9.9") == 302
    event = AuditEvent.objects.get(action="sign_in.unlock")
    assert event.actor == world.admin_a and event.details == {"username": "fac_a"}


def test_an_administrator_unlocks_an_address(world) -> None:  # type: ignore[no-untyped-def]
    for username in ("x1", "x2", "x3"):
        _sign_in(username, "wrong", address="10.0.5.5")
    admin = Client()
    admin.force_login(world.admin_a)
    assert b'data-lock="10.0.5.5"' in admin.get(reverse("sign-in-locks")).content
    admin.post(reverse("sign-in-locks"), {"address": "10.0.5.5"})
    assert not AccessAttempt.objects.filter(ip_address="10.0.5.5").exists()
    assert _sign_in("fac_b", PASSWORD, address="10.0.5.5") == 302
    assert AuditEvent.objects.filter(
        action="sign_in.unlock", details={"address": "10.0.5.5"}
    ).exists()


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "p1_user"])
def test_only_administrators_have_the_locks_page(world, persona) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(getattr(world, persona))
    assert client.get(reverse("sign-in-locks")).status_code == 404
    assert client.post(reverse("sign-in-locks"), {"username": "fac_a"}).status_code == 404
    anonymous = Client().get(reverse("sign-in-locks"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_unknown_personal_links_are_limited_per_address(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BALM_LINK_FAILURES_PER_HOUR = 3
    cache.clear()
    _, token = issue_participant_link(participant=world.p1, by=None)
    guesser = Client(REMOTE_ADDR="10.0.6.1")
    for n in range(3):
        assert guesser.get(f"/p/guess{n}/").status_code == 404
    # the limit is reached: even the right link waits (no look-up at all)
    refused = guesser.get(f"/p/{token}/")
    assert refused.status_code == 429 and b"wait an hour" in refused.content
    # another address is not affected
    assert Client(REMOTE_ADDR="10.0.6.2").get(f"/p/{token}/").status_code == 302
    cache.clear()
