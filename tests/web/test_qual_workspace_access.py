"""Every page of the qualitative workspace for every persona: the owner researcher and the
administrator of site A open them; a researcher of site B, a facilitator (except on the sources
page, where they see only their own feedback), participant P1 and a participant's linked
account get 404; anonymous visitors are sent to log in."""

from __future__ import annotations

import pytest
from django.urls import reverse
from tests.web.qual_support import QualWorld, client_for, qual_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def qw(world) -> QualWorld:  # type: ignore[no-untyped-def]
    return qual_world(world)


def _pages(qw: QualWorld) -> dict[str, str]:
    p = qw.project.pk
    return {
        "project": reverse("qual:project", args=[p]),
        "sources": reverse("qual:sources", args=[p]),
        "reader": reverse("qual:reader", args=[p, qw.source.pk]),
        "codebook": reverse("qual:codebook", args=[p]),
        "memos": reverse("qual:memos", args=[p]),
    }


CODERS_ONLY = {"project", "reader", "codebook", "memos"}


def test_owner_researcher_and_administrator_open_every_page(qw: QualWorld) -> None:
    for user in (qw.world.researcher_a, qw.world.admin_a):
        client = client_for(user)
        assert client.get(reverse("qual:projects")).status_code == 200
        for name, url in _pages(qw).items():
            response = client.get(url)
            assert response.status_code == 200, (user, name)
            assert qw.project.name in response.content.decode()


def test_researcher_of_another_site_gets_404(qw: QualWorld) -> None:
    client = client_for(qw.researcher_b)
    listing = client.get(reverse("qual:projects"))
    assert listing.status_code == 200 and "Study A" not in listing.content.decode()
    for name, url in _pages(qw).items():
        assert client.get(url).status_code == 404, name


def test_facilitator_reaches_only_the_sources_page_and_sees_only_their_own(
    qw: QualWorld,
) -> None:
    from balm.qualitative import actions

    actions.add_source(
        project=qw.project,
        name="Week 2 reflection",
        text="The group was quiet.",
        kind="reflection",
        by=qw.world.facilitator_a,
    )
    client = client_for(qw.world.facilitator_a)
    for name, url in _pages(qw).items():
        status = client.get(url).status_code
        if name == "project":
            assert status == 302, name  # sent on to the sources page
        elif name in CODERS_ONLY:
            assert status == 404, name
    page = client.get(_pages(qw)["sources"]).content.decode()
    assert "Week 2 reflection" in page and "P1 interview" not in page
    # the upload offers only feedback and reflections
    assert 'value="reflection"' in page and 'value="interview"' not in page
    assert client_for(qw.world.facilitator_b).get(_pages(qw)["sources"]).status_code == 404


def test_participants_get_404_and_anonymous_visitors_log_in(qw: QualWorld) -> None:
    client = client_for(qw.world.p1_user)
    assert client.get(reverse("qual:projects")).status_code == 404
    for name, url in _pages(qw).items():
        assert client.get(url).status_code == 404, name
    anonymous = client_for(None)
    for name, url in {**_pages(qw), "projects": reverse("qual:projects")}.items():
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], name


def test_the_nav_links_only_pages_that_exist(qw: QualWorld) -> None:
    from django.urls import NoReverseMatch

    page = client_for(qw.world.researcher_a).get(_pages(qw)["codebook"]).content.decode()
    assert 'aria-current="page">Codebook' in page
    for name, label in (("qual:themes", "Themes"), ("qual:compare", "Compare coders")):
        try:
            reverse(name, args=[qw.project.pk])
        except NoReverseMatch:
            assert f">{label}</a>" not in page
        else:
            assert f">{label}</a>" in page


def test_a_researcher_makes_a_project_at_their_own_site_only(qw: QualWorld) -> None:
    from balm.qualitative.models import QualProject

    client = client_for(qw.world.researcher_a)
    response = client.post(
        reverse("qual:projects"), {"site": qw.world.site_a.pk, "name": "Follow-up study"}
    )
    made = QualProject.objects.get(name="Follow-up study")
    assert response.status_code == 302 and made.site == qw.world.site_a
    refused = client.post(reverse("qual:projects"), {"site": qw.world.site_b.pk, "name": "X"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert not QualProject.objects.filter(name="X").exists()


def _writes(qw: QualWorld) -> dict[str, tuple[str, dict[str, object]]]:
    """Every POST of the workspace with a valid body for the owner researcher."""
    from balm.audit.models import AuditEvent
    from balm.qualitative import actions

    p, text = qw.project.pk, qw.source.text
    at = text.index("wary")
    note = actions.add_note(
        project=qw.project,
        text="Guarded start",
        kind="descriptive",
        target_kind="source",
        target_uid=qw.source.uid,
        source=qw.source,
        start=at,
        end=at + 4,
        by=qw.world.researcher_a,
    )
    rename = AuditEvent.objects.filter(action="qual.code.add", object_id=str(qw.other_code.pk))
    return {
        "coding-add": (
            reverse("qual:coding-add", args=[p, qw.source.pk]),
            {"start": at, "end": at + 4, "code": qw.other_code.pk},
        ),
        "coding-resize": (
            reverse("qual:coding-resize", args=[p, qw.coding_b.pk]),
            {"start": qw.coding_b.start, "end": qw.coding_b.end - 1},
        ),
        "coding-remove": (reverse("qual:coding-remove", args=[p, qw.coding_a.pk]), {}),
        "note-add": (
            reverse("qual:note-add", args=[p, qw.source.pk]),
            {"start": at, "end": at + 4, "kind": "linguistic", "text": "hedging"},
        ),
        "note-statement": (reverse("qual:note-statement", args=[p, note.pk]), {}),
        "codebook-add": (reverse("qual:codebook", args=[p]), {"name": "New one"}),
        "code-rename": (
            reverse("qual:code", args=[p, qw.code.pk]),
            {"do": "rename", "name": "Breath"},
        ),
        "code-undo": (reverse("qual:code-undo", args=[p, rename.get().pk]), {}),
        "memo": (reverse("qual:memos", args=[p]), {"on": "project", "text": "A memo"}),
        "source-timepoint": (
            reverse("qual:source-timepoint", args=[p, qw.source.pk]),
            {"timepoint": "end"},
        ),
        "source-delete": (reverse("qual:source-delete", args=[p, qw.source.pk]), {}),
    }


WRITE_ACTIONS = (
    "qual.coding.add",
    "qual.coding.resize",
    "qual.coding.remove",
    "qual.note.add",
    "qual.theme.create",
    "qual.code.add",
    "qual.code.rename",
    "qual.code.undo",
    "qual.source.timepoint",
    "qual.source.delete",
)


def test_no_write_for_other_sites_facilitators_participants_or_anonymous(qw: QualWorld) -> None:
    from balm.audit.models import AuditEvent

    writes = _writes(qw)
    before = AuditEvent.objects.filter(action__in=WRITE_ACTIONS).count()
    for user in (qw.researcher_b, qw.world.facilitator_a, qw.world.facilitator_b, qw.world.p1_user):
        client = client_for(user)
        for name, (url, body) in writes.items():
            assert client.post(url, body).status_code == 404, (user, name)
    anonymous = client_for(None)
    for name, (url, body) in writes.items():
        response = anonymous.post(url, body)
        assert response.status_code == 302 and "/login/" in response["Location"], name
    assert AuditEvent.objects.filter(action__in=WRITE_ACTIONS).count() == before


def test_every_write_works_for_the_administrator(qw: QualWorld) -> None:
    from balm.audit.models import AuditEvent

    client = client_for(qw.world.admin_a)
    for name, (url, body) in _writes(qw).items():
        response = client.post(url, body, HTTP_ACCEPT="application/json")
        assert response.status_code in (200, 302), (name, response.content[:300])
    actions_done = set(
        AuditEvent.objects.filter(actor=qw.world.admin_a).values_list("action", flat=True)
    )
    assert set(WRITE_ACTIONS) <= actions_done
