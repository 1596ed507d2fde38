"""API tokens: issued once, stored hashed, revoked at once; the command that issues them."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from balm.accounts.errors import InvalidInput, NotAllowed
from balm.accounts.models import hash_token
from balm.api.actions import issue_api_token, revoke_api_token
from balm.api.models import ApiToken
from balm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_token():  # type: ignore[no-untyped-def]
    """Issue a token for a user and return the secret."""

    def issue(user) -> str:  # type: ignore[no-untyped-def]
        return issue_api_token(user=user, name="test", by=None)[1]

    return issue


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_authenticates_as_its_user(world, api_token) -> None:  # type: ignore[no-untyped-def]
    token = api_token(world.facilitator_a)
    answer = Client().get("/api/cohorts", **bearer(token))
    assert answer.status_code == 200
    assert [c["name"] for c in answer.json()["items"]] == ["Cohort A"]
    stored = ApiToken.objects.get()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert stored.last_used_at is not None
    other = Client().get(f"/api/cohorts/{world.cohort_b.pk}", **bearer(token))
    assert other.status_code == 404


def test_participant_token_sees_only_their_own(world, api_token) -> None:  # type: ignore[no-untyped-def]
    token = api_token(world.p2_user)
    due = Client().get("/api/assessments/due", **bearer(token)).json()["items"]
    assert {a["enrolment_id"] for a in due} == {world.enrolment_p2.pk}
    scores = Client().get(f"/api/enrolments/{world.enrolment_p1.pk}/scores", **bearer(token))
    assert scores.status_code == 404


def test_revoked_unknown_and_malformed_tokens_are_401(world, api_token) -> None:  # type: ignore[no-untyped-def]
    token = api_token(world.facilitator_a)
    revoke_api_token(token=ApiToken.objects.get(), by=None)
    assert Client().get("/api/cohorts", **bearer(token)).status_code == 401
    assert Client().get("/api/cohorts", **bearer("balm_made-up")).status_code == 401
    assert Client().get("/api/cohorts", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_inactive_user_token_is_401(world, api_token) -> None:  # type: ignore[no-untyped-def]
    token = api_token(world.facilitator_a)
    world.facilitator_a.is_active = False
    world.facilitator_a.save()
    assert Client().get("/api/cohorts", **bearer(token)).status_code == 401


def test_only_owner_or_superuser_issues(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        issue_api_token(user=world.facilitator_a, name="x", by=world.admin_a)
    with pytest.raises(InvalidInput) as error:
        issue_api_token(user=world.facilitator_a, name="  ", by=world.facilitator_a)
    assert error.value.by_field() == {"name": ["Say what the token is for."]}
    _, token = issue_api_token(user=world.facilitator_a, name="laptop", by=world.facilitator_a)
    assert token.startswith("balm_")


def test_issue_and_revoke_commands(world) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("issue_api_token", "fac_a", "--name", "clinic tablet", stdout=out)
    token = out.getvalue().split(": ", 1)[1].split()[0]
    assert Client().get("/api/cohorts", **bearer(token)).status_code == 200
    stored = ApiToken.objects.get()
    assert stored.name == "clinic tablet" and stored.user == world.facilitator_a
    call_command("revoke_api_token", str(stored.pk), stdout=io.StringIO())
    assert Client().get("/api/cohorts", **bearer(token)).status_code == 401
    with pytest.raises(CommandError):
        call_command("issue_api_token", "nobody", "--name", "x", stdout=io.StringIO())


def test_participant_issues_no_token_of_their_own_through_the_action(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        issue_api_token(user=world.p1_user, name="phone", by=world.p1_user)
    token, _ = issue_api_token(user=world.p1_user, name="phone", by=None)  # the command may
    with pytest.raises(NotAllowed):
        revoke_api_token(token=token, by=world.facilitator_a)
    revoke_api_token(token=token, by=world.p1_user)  # stopping one's own is always allowed
    assert ApiToken.objects.get().revoked_at is not None


# --- the page: /account/tokens/ ----------------------------------------------------------

PAGE = "/account/tokens/"


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def revoke_url(token: ApiToken) -> str:
    return reverse("api-token-revoke", args=[token.pk])


def issue_on_page(client: Client, name: str):  # type: ignore[no-untyped-def]
    """POST the form; returns the page and the token shown on it."""
    page = client.post(PAGE, {"name": name})
    assert page.status_code == 200, page.content
    found = re.search(rb'id="new-token" readonly value="(balm_[^"]+)"', page.content)
    assert found is not None, page.content
    return page, found.group(1).decode()


def test_page_url_and_name() -> None:
    assert reverse("api-tokens") == PAGE


def test_owner_issues_sees_it_once_uses_it_and_revokes_it(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.facilitator_a)
    empty = client.get(PAGE)
    assert empty.status_code == 200 and b"No tokens yet." in empty.content
    page, token = issue_on_page(client, "  laptop script  ")
    assert b"it will not be shown again" in page.content
    assert page["Cache-Control"] == "no-store"
    stored = ApiToken.objects.get()
    assert (stored.user, stored.created_by, stored.name) == (
        world.facilitator_a,
        world.facilitator_a,
        "laptop script",
    )
    assert stored.token_hash == hash_token(token)
    issued = AuditEvent.objects.get(action="api_token.issue")
    assert issued.actor == world.facilitator_a and issued.object_id == str(stored.pk)

    answer = Client().get("/api/cohorts", **bearer(token))
    assert answer.status_code == 200
    assert [c["name"] for c in answer.json()["items"]] == ["Cohort A"]

    again = client.get(PAGE)
    assert token.encode() not in again.content and stored.token_hash.encode() not in again.content
    assert b"laptop script" in again.content and b"Active" in again.content
    assert b"Not used yet" not in again.content  # its use was noted
    assert revoke_url(stored).encode() in again.content

    revoked = client.post(revoke_url(stored))
    assert revoked.status_code == 302 and revoked.url == PAGE
    assert Client().get("/api/cohorts", **bearer(token)).status_code == 401
    after = client.get(PAGE)
    assert b"Revoked" in after.content and revoke_url(stored).encode() not in after.content
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.actor == world.facilitator_a
    assert client.post(revoke_url(stored)).status_code == 302  # again: nothing more happens
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


@pytest.mark.parametrize("persona", ["facilitator_b", "researcher_a", "admin_a"])
def test_every_staff_role_has_the_page(world, persona) -> None:  # type: ignore[no-untyped-def]
    user = getattr(world, persona)
    client = client_for(user)
    assert client.get(PAGE).status_code == 200
    _, token = issue_on_page(client, "notebook")
    assert ApiToken.objects.get().user == user
    assert Client().get("/api/cohorts", **bearer(token)).status_code == 200


@pytest.mark.parametrize("persona", ["facilitator_b", "researcher_a", "admin_a"])
def test_nobody_else_sees_or_revokes_a_token(world, persona) -> None:  # type: ignore[no-untyped-def]
    _, token = issue_on_page(client_for(world.facilitator_a), "owner's script")
    stored = ApiToken.objects.get()
    other = client_for(getattr(world, persona))
    assert b"owner&#x27;s script" not in other.get(PAGE).content
    assert other.post(revoke_url(stored)).status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    assert Client().get("/api/cohorts", **bearer(token)).status_code == 200
    assert not AuditEvent.objects.filter(action="api_token.revoke").exists()


def test_participant_gets_404(world) -> None:  # type: ignore[no-untyped-def]
    own, _ = issue_api_token(user=world.p1_user, name="phone", by=None)
    client = client_for(world.p1_user)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"name": "mine"}).status_code == 404
    assert client.post(revoke_url(own)).status_code == 404
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None


def test_anonymous_is_sent_to_log_in(world) -> None:  # type: ignore[no-untyped-def]
    token, _ = issue_api_token(user=world.facilitator_a, name="script", by=None)
    for answer in (
        Client().get(PAGE),
        Client().post(PAGE, {"name": "x"}),
        Client().post(revoke_url(token)),
    ):
        assert answer.status_code == 302 and answer.url.startswith("/login/")
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Say what the token is for."),
        ("   ", "Say what the token is for."),
        ("x" * 101, "Keep the name to 100 characters (this one has 101)."),
    ],
)
def test_bad_name_is_explained_and_writes_nothing(world, name, message) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.facilitator_a).post(PAGE, {"name": name})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<div class="error" id="err-name"><p>{message}</p></div>' in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="err-name"' in html
    assert 'class="error-summary" role="alert"' in html
    assert 'id="new-token"' not in html
    assert ApiToken.objects.count() == 0
    assert not AuditEvent.objects.filter(action="api_token.issue").exists()


def test_a_name_of_100_characters_is_fine(world) -> None:  # type: ignore[no-untyped-def]
    issue_on_page(client_for(world.facilitator_a), "x" * 100)
    assert ApiToken.objects.get().name == "x" * 100


def test_revoke_needs_post_and_the_csrf_token(world) -> None:  # type: ignore[no-untyped-def]
    token, _ = issue_api_token(user=world.facilitator_a, name="script", by=None)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.facilitator_a)
    assert client.get(revoke_url(token)).status_code == 405
    assert client.post(revoke_url(token)).status_code == 403
    assert client.post(PAGE, {"name": "no csrf"}).status_code == 403
    assert ApiToken.objects.get().revoked_at is None and ApiToken.objects.count() == 1
    page = client.get(PAGE)
    csrf = client.cookies["csrftoken"].value
    assert b"csrfmiddlewaretoken" in page.content
    answer = client.post(revoke_url(token), {"csrfmiddlewaretoken": csrf})
    assert answer.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None


def test_staff_navigation_links_to_the_page(world) -> None:  # type: ignore[no-untyped-def]
    link = f'href="{PAGE}"'.encode()
    assert link in client_for(world.researcher_a).get("/").content
    assert b'aria-current="page"' in client_for(world.admin_a).get(PAGE).content
    participant_page = client_for(world.p1_user).get("/me/")
    assert participant_page.status_code == 200 and link not in participant_page.content
