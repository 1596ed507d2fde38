"""Session feedback and reflections brought into a project as sources: by the cohort's own
facilitators and the site's administrators only, pseudonymised, once, audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories

from balm.accounts import permissions
from balm.accounts.errors import NotAllowed
from balm.audit.models import AuditEvent
from balm.qualitative import actions
from balm.qualitative.models import Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(world):  # type: ignore[no-untyped-def]
    session = world.cohort_a.sessions.order_by("number").first()
    session.facilitator_feedback = "Pat One spoke up a lot today."
    session.reflections = "I rushed the compassionate imagery."
    session.save()
    return actions.create_project(site=world.site_a, name="Study A", by=world.researcher_a)


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", ["facilitator_a", "admin_a"])
def test_own_cohorts_notes_become_sources_once(world, project, persona) -> None:  # type: ignore[no-untyped-def]
    user = getattr(world, persona)
    client = _client(user)
    url = reverse("qual:session-notes", args=[project.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert [c.name for c in page.context["cohorts"]] == ["Cohort A"]
    client.post(url, {"cohort": world.cohort_a.pk})
    sources = Source.objects.filter(project=project).order_by("kind")
    assert [(s.kind, s.name) for s in sources] == [
        ("reflection", "Cohort A, session 1: reflections"),
        ("session_feedback", "Cohort A, session 1: feedback"),
    ]
    feedback = sources.get(kind="session_feedback")
    assert "Pat One" not in feedback.text and feedback.imported_by == user
    # Brought in again: nothing new.
    again = client.post(url, {"cohort": world.cohort_a.pk}, follow=True)
    assert "already in the project" in again.content.decode()
    assert Source.objects.filter(project=project).count() == 2
    assert AuditEvent.objects.filter(action="qual.session_notes.bring").count() == 2
    assert AuditEvent.objects.filter(action="qual.source.add").count() == 2
    if persona == "facilitator_a":  # they read what they brought in, and nothing else
        assert set(permissions.visible_qual_sources(user)) == set(sources)


def test_others_cannot_bring_them(world, project) -> None:  # type: ignore[no-untyped-def]
    url = reverse("qual:session-notes", args=[project.pk])
    other_facilitator = factories.staff("facilitator", world.site_a, "fac_a2")
    for user in (world.researcher_a, other_facilitator):
        client = _client(user)
        assert client.get(url).context["cohorts"] == []
        assert client.post(url, {"cohort": world.cohort_a.pk}).status_code == 404
    for user in (world.facilitator_b, world.p1_user, factories.staff("researcher", world.site_b)):
        client = _client(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"cohort": world.cohort_a.pk}).status_code == 404
    assert Client().get(url).status_code == 302
    with pytest.raises(NotAllowed):
        actions.bring_session_notes(project=project, cohort=world.cohort_a, by=other_facilitator)
    assert not Source.objects.exists()
