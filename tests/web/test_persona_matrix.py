"""The persona matrix: every page of the URL configuration (walked, so a new page is covered
automatically) and every API read, opened by every persona; counts the checks and the leaks.
Goal: 0 leaks.

A leak: an outsider is shown a page about one of site A's or P1's objects (a 200 on a page
whose path names the object), or any page or API answer that carries P1's or site A's data
(P1's name, e-mail or pseudonym; for a facilitator at another site, site A's cohort).

Who may not see what (balm.accounts.permissions): a facilitator at another site nothing of
site A; a participant nothing of another participant and no staff page; nobody without a
sign-in anything but the public pages. The objects are site A's and P1's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from tests.web import factories

from balm.accounts.actions import issue_participant_link
from balm.api.actions import issue_api_token
from balm.outcomes.actions import submit_response
from balm.qualitative import actions as qual

pytestmark = pytest.mark.django_db

# Pages anyone may open (sign-in, health check, a personal link's landing page).
PUBLIC = {"login", "logout", "healthz", "home", "participant-link", "signed-out"}
# Served by other apps (the admin has its own superuser-only rule, tested in test_admin_site);
# the API is walked separately below.
SKIP_PREFIXES = ("admin/", "api/")


def _patterns(resolvers: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith(SKIP_PREFIXES):
                found += _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            found.append((route, entry))
    return found


def _fillers(world: Any) -> dict[str, str]:
    """A value of site A / P1 for every path parameter a page may take."""
    gad7 = world.enrolment_p1.assessments.get(instrument_id="gad7", timepoint="baseline")
    response = submit_response(
        assessment=gad7,
        answers={**{f"q{i}": 1 for i in range(1, 8)}},
        client_id=factories.client_id(),
        by=None,
    )
    phq9 = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    alerting = submit_response(
        assessment=phq9,
        answers={**factories.PHQ9_ZEROS, "q9": 2},
        client_id=factories.client_id(),
        by=None,
    )
    _, token = issue_participant_link(participant=world.p1, by=None)
    api_token, _ = issue_api_token(user=world.admin_a, name="matrix", by=world.admin_a)
    project = qual.create_project(site=world.site_a, name="Study A", by=world.researcher_a)
    source = qual.add_source(
        project=project,
        name="P1 interview",
        text="Interviewer: How was it?\nP1: The breathing helped when the pain flared.",
        participant=world.p1,
        by=world.researcher_a,
    ).source
    code = qual.add_code(project=project, name="Breathing", by=world.researcher_a)
    at = source.text.index("breathing")
    coding = qual.add_coding(source=source, start=at, end=at + 9, code=code, by=world.researcher_a)
    note = qual.add_note(project=project, text="A memo on breathing", by=world.researcher_a)
    return {
        "cohort_id": str(world.cohort_a.pk),
        "enrolment_id": str(world.enrolment_p1.pk),
        "session_id": str(world.cohort_a.sessions.get(number=1).pk),
        "assessment_id": str(
            world.enrolment_p1.assessments.exclude(pk__in=[gad7.pk, phq9.pk])
            .filter(timepoint="baseline")
            .first()
            .pk
        ),
        "response_id": str(response.pk),
        "alert_id": str(alerting.alerts.get().pk),
        "token_id": str(api_token.pk),
        "site_id": str(world.site_a.pk),
        "participant_id": str(world.p1.pk),
        "instrument_id": "phq9",
        "token": token,
        "project_id": str(project.pk),
        "source_id": str(source.pk),
        "code_id": str(code.pk),
        "coding_id": str(coding.pk),
        "coding_uid": str(coding.uid),
        "note_id": str(note.pk),
        "event_id": "1",
        "fmt": "csv",
    }


def _url(route: str, fillers: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        assert name in fillers, f"add a value for <{name}> to the persona matrix ({route})"
        return fillers[name]

    return "/" + re.sub(r"<([^>]+)>", fill, route)


_client = factories.client_for


def test_every_page_and_operation_for_every_persona(world) -> None:  # type: ignore[no-untyped-def]
    fillers = _fillers(world)
    outsiders = {
        "other site": world.facilitator_b,
        "participant P2": world.p2_user,
        "anonymous": None,
    }
    insiders = {
        "owner": world.facilitator_a,
        "researcher": world.researcher_a,
        "administrator": world.admin_a,
        "participant P1": world.p1_user,
    }
    world.p1.email = "pat.one@example.org"
    world.p1.save()
    p1_data = ("Pat One", "pat.one@example.org", '"P1"', ">P1<")
    markers = {
        "other site": (*p1_data, "Cohort A", "Site A pain service"),
        "participant P2": p1_data,
        "anonymous": (*p1_data, "Cohort A", "Site A pain service"),
    }

    def leaked(persona: str, status: int, body: str, names_object: bool) -> bool:
        if persona not in outsiders or status != 200:
            return False
        return names_object or any(marker in body for marker in markers[persona])

    # Staff and the anonymous visitor keep one client each (signing in for every request was a
    # fifth of the matrix's time; their sessions hold nothing a page changes). A participant's
    # session holds the personal-link state pages act on, so each request signs in afresh.
    people = {**outsiders, **insiders}
    kept = {p: _client(u) for p, u in people.items() if not p.startswith("participant")}

    def client(persona: str) -> Any:
        return kept.get(persona) or _client(people[persona])

    checks, leaks, seen_ok, marked = 0, [], 0, 0
    pages = _patterns(get_resolver().url_patterns)
    assert len(pages) >= 30
    for route, pattern in pages:
        name = pattern.name or route
        if name in PUBLIC:
            continue
        url = _url(route, fillers)
        for persona in people:
            page = client(persona).get(url)
            checks += 1
            body = b"".join(page.streaming_content) if page.streaming else page.content
            if leaked(persona, page.status_code, body.decode(errors="replace"), "<" in route):
                leaks.append((persona, name, url))
            seen_ok += persona in insiders and page.status_code == 200
            if persona == "owner" and any(m in body.decode(errors="replace") for m in p1_data):
                marked += 1
    api = Client().get("/api/openapi.json").json()
    api_ops = 0
    for path, methods in api["paths"].items():
        if "get" not in methods:
            continue
        api_ops += 1
        url = re.sub(r"\{([^}]+)\}", lambda m: fillers.get(m.group(1), "1"), path)
        for persona in people:
            answer = client(persona).get(url)
            checks += 1
            if leaked(persona, answer.status_code, answer.content.decode(errors="replace"), False):
                leaks.append((persona, path, url))
    print(
        f"persona matrix: {len(pages)} pages and {api_ops} API reads x 7 personas = "
        f"{checks} checks, {seen_ok} pages opened by those entitled, {len(leaks)} leaks"
    )
    assert marked >= 5  # the markers are on the pages the owner sees: the search is real
    assert seen_ok > len(pages)  # the insiders really saw pages: the matrix is not all 404s
    assert leaks == [], "\n".join(map(str, leaks))
    for persona, kept_client in kept.items():  # still signed in as the persona, or nobody
        user = people[persona]
        signed_in = kept_client.session.get("_auth_user_id")
        assert signed_in == (None if user is None else str(user.pk)), persona
