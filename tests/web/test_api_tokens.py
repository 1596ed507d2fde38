"""API tokens: issued once, stored hashed, revoked at once; the command that issues them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

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
    assert [c["name"] for c in answer.json()] == ["Cohort A"]
    stored = ApiToken.objects.get()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert stored.last_used_at is not None
    other = Client().get(f"/api/cohorts/{world.cohort_b.pk}", **bearer(token))
    assert other.status_code == 404


def test_participant_token_sees_only_their_own(world, api_token) -> None:  # type: ignore[no-untyped-def]
    token = api_token(world.p2_user)
    due = Client().get("/api/assessments/due", **bearer(token)).json()
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
