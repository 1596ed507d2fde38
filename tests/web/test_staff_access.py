"""Every staff page, for every persona: owner, colleague at another site, researcher,
administrator, participant (with an account) and nobody."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories

from balm.outcomes.actions import submit_response

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _urls(world) -> dict[str, tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """name: (url, is a clinical write page)."""
    baseline = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    gad7 = world.enrolment_p1.assessments.get(instrument_id="gad7", timepoint="baseline")
    response = submit_response(
        assessment=gad7,
        answers={f"q{i}": 1 for i in range(1, 8)},
        client_id=factories.client_id(),
        by=None,
    )
    session = world.cohort_a.sessions.get(number=1)
    return {
        "cohort": (reverse("cohort", args=[world.cohort_a.pk]), False),
        "enrol": (reverse("enrol", args=[world.cohort_a.pk]), True),
        "enrol-csv": (reverse("enrol-csv", args=[world.cohort_a.pk]), True),
        "enrolment": (reverse("enrolment", args=[world.enrolment_p1.pk]), False),
        "record": (reverse("record", args=[world.enrolment_p1.pk]), False),
        "session": (reverse("session", args=[session.pk]), False),
        "paper": (reverse("paper-entry", args=[baseline.pk]), True),
        "response": (reverse("amend-response", args=[response.pk]), False),
        "export-cohort": (reverse("export-cohort", args=[world.cohort_a.pk]), False),
        "export-site": (reverse("export-site", args=[world.site_a.pk]), False),
        "export-checkins": (reverse("export-checkins") + f"?cohort={world.cohort_a.pk}", False),
    }


def test_owner_and_admin_open_every_page(world) -> None:  # type: ignore[no-untyped-def]
    urls = _urls(world)
    for user in (world.facilitator_a, world.admin_a):
        client = client_for(user)
        for name, (url, _) in urls.items():
            assert client.get(url).status_code == 200, (user, name)
    assert client_for(world.facilitator_a).get(reverse("cohort-create")).status_code == 200


def test_colleague_at_another_site_gets_404(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.facilitator_b)
    for name, (url, _) in _urls(world).items():
        assert client.get(url).status_code == 404, name
        assert client.post(url, {}).status_code in (404, 405), name


def test_participant_and_anonymous_never_see_staff_pages(world) -> None:  # type: ignore[no-untyped-def]
    urls = _urls(world)
    participant = client_for(world.p1_user)
    for name, (url, _) in urls.items():
        assert participant.get(url).status_code == 404, name
    anonymous = client_for(None)
    for name, (url, _) in urls.items():
        page = anonymous.get(url)
        assert page.status_code == 302 and "/login/" in page.url, name


def test_researcher_reads_but_cannot_change(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.researcher_a)
    for name, (url, write) in _urls(world).items():
        page = client.get(url)
        if write:
            assert page.status_code == 403, name
        else:
            assert page.status_code == 200, name
            assert b"Pat One" not in page.getvalue(), name
    enrolment_url = reverse("enrolment", args=[world.enrolment_p1.pk])
    assert client.post(enrolment_url, {"status": "assessed"}).status_code == 403
    assert client.post(reverse("enrolment-link", args=[world.enrolment_p1.pk])).status_code == 403
    session = world.cohort_a.sessions.get(number=1)
    assert client.post(reverse("session", args=[session.pk]), {}).status_code == 403
    assert client.post(reverse("session-attendance", args=[session.pk]), {}).status_code == 403
    assert client.get(reverse("cohort-create")).status_code == 403
    world.enrolment_p1.refresh_from_db()
    assert world.enrolment_p1.status == "referred"


def test_researcher_cohort_page_has_no_write_links(world) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.researcher_a).get(reverse("cohort", args=[world.cohort_a.pk]))
    assert reverse("enrol", args=[world.cohort_a.pk]).encode() not in page.content
    assert b"/paper/" not in page.content and b"from paper" not in page.content
    # the owner's page has them (so the check above can fail)
    owner = client_for(world.facilitator_a).get(reverse("cohort", args=[world.cohort_a.pk]))
    assert b"/paper/" in owner.content
