"""Staff sessions end after the idle time and on a password change (other devices), Django's
password validators refuse weak passwords, and "sign out everywhere" ends every session."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from balm.audit.models import AuditEvent
from balm.web.staff_session import SEEN_KEY

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse"  # tests.web.factories.user


def _signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _age_session(client: Client, seconds: float) -> None:
    session = client.session
    session[SEEN_KEY] = time.time() - seconds
    session.save()


def test_a_staff_session_ends_after_the_idle_time(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BALM_STAFF_IDLE_MINUTES = 30
    client = _signed_in(world.facilitator_a)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, 29 * 60)  # still within the idle time
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, 31 * 60)
    answer = client.get(reverse("cohort", args=[world.cohort_a.pk]))
    assert answer.status_code == 302
    assert answer["Location"] == f"/login/?next=/cohorts/{world.cohort_a.pk}/"
    assert b"without activity" in client.get(answer["Location"]).content
    assert client.get(reverse("home"))["Location"] == "/login/"  # signed out for good


def test_the_idle_time_is_a_setting_and_ends_api_sessions_too(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BALM_STAFF_IDLE_MINUTES = 5
    client = _signed_in(world.facilitator_a)
    assert client.get("/api/cohorts").status_code == 200
    _age_session(client, 6 * 60)
    assert client.get("/api/cohorts").status_code == 401


def test_changing_the_password_signs_out_other_devices_and_keeps_this_one(world) -> None:  # type: ignore[no-untyped-def]
    here, elsewhere = _signed_in(world.facilitator_a), _signed_in(world.facilitator_a)
    answer = here.post(
        reverse("password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer pass phrase 71",
            "new_password2": "a much longer pass phrase 71",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == "/account/password/done/"
    assert here.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("home"))["Location"] == "/login/"


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("48151623429381", "entirely numeric"),
        ("fac_a_12", "too similar"),
    ],
)
def test_weak_passwords_are_refused(world, new, message) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in(world.facilitator_a)
    answer = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert answer.status_code == 200 and message in answer.content.decode()
    world.facilitator_a.refresh_from_db()
    assert world.facilitator_a.check_password(PASSWORD)


def test_sign_out_everywhere_ends_every_session_and_is_audited(world) -> None:  # type: ignore[no-untyped-def]
    here, phone = _signed_in(world.researcher_a), _signed_in(world.researcher_a)
    colleague = _signed_in(world.facilitator_a)
    answer = here.post(reverse("sign-out-everywhere"))
    assert answer.status_code == 302 and answer["Location"] == reverse("login")
    for client in (here, phone):
        assert client.get(reverse("home"))["Location"] == "/login/"
    assert colleague.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(
        action="sign_in.sign_out_everywhere", actor=world.researcher_a
    ).exists()
    # signing in again works as before
    assert (
        Client().post(reverse("login"), {"username": "res_a", "password": PASSWORD})["Location"]
        == "/"
    )


def test_sign_out_everywhere_needs_a_post_by_staff(world) -> None:  # type: ignore[no-untyped-def]
    staff = _signed_in(world.facilitator_a)
    assert staff.get(reverse("sign-out-everywhere")).status_code == 405
    participant = _signed_in(world.p1_user)
    assert participant.post(reverse("sign-out-everywhere")).status_code == 404
    assert Client().post(reverse("sign-out-everywhere"))["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "admin_a"])
def test_every_staff_role_has_the_security_page(world, persona) -> None:  # type: ignore[no-untyped-def]
    page = _signed_in(getattr(world, persona)).get(reverse("account-security"))
    assert page.status_code == 200 and b"Sign out everywhere" in page.content
    assert (b"Sign-in locks" in page.content) == (persona == "admin_a")
