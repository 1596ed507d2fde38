"""Who reads, codes and administers a site's qualitative data: one test per rule and persona
(facilitator A = owner of cohort A, facilitator B = other site, researcher A, administrator A,
participants P1/P2, anonymous)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from balm.accounts import permissions as perm
from balm.accounts.errors import NotAllowed
from balm.qualitative import actions
from balm.qualitative.models import Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(world):  # type: ignore[no-untyped-def]
    return actions.create_project(site=world.site_a, name="Study A", by=world.researcher_a)


def test_researchers_and_administrators_code_facilitators_and_participants_do_not(world) -> None:  # type: ignore[no-untyped-def]
    a, b = world.site_a, world.site_b
    assert perm.can_code_qual(world.researcher_a, a)
    assert perm.can_code_qual(world.admin_a, a)
    assert not perm.can_code_qual(world.researcher_a, b)
    assert not perm.can_code_qual(world.facilitator_a, a)
    assert not perm.can_code_qual(world.facilitator_b, a)
    assert not perm.can_code_qual(world.p1_user, a)
    assert not perm.can_code_qual(AnonymousUser(), a)


def test_only_administrators_see_the_pseudonym_map(world) -> None:  # type: ignore[no-untyped-def]
    a = world.site_a
    assert perm.can_view_pseudonym_map(world.admin_a, a)
    assert not perm.can_view_pseudonym_map(world.researcher_a, a)
    assert not perm.can_view_pseudonym_map(world.facilitator_a, a)
    assert not perm.can_view_pseudonym_map(world.p1_user, a)
    assert not perm.can_view_pseudonym_map(AnonymousUser(), a)


def test_facilitators_add_only_feedback_and_reflections(world) -> None:  # type: ignore[no-untyped-def]
    a = world.site_a
    assert perm.can_add_qual_source(world.facilitator_a, a, "session_feedback")
    assert perm.can_add_qual_source(world.facilitator_a, a, "reflection")
    assert not perm.can_add_qual_source(world.facilitator_a, a, "interview")
    assert not perm.can_add_qual_source(world.facilitator_b, a, "reflection")
    assert perm.can_add_qual_source(world.researcher_a, a, "interview")
    assert not perm.can_add_qual_source(world.p1_user, a, "reflection")


def test_who_sees_which_source(world, project) -> None:  # type: ignore[no-untyped-def]
    interview = actions.add_source(
        project=project, name="P1 interview", text="Interviewer: Hello.", by=world.researcher_a
    ).source
    own = actions.add_source(
        project=project,
        name="Week 3 reflection",
        text="The group was quiet today.",
        kind="reflection",
        by=world.facilitator_a,
    ).source
    colleague = actions.add_source(
        project=project,
        name="Week 3 feedback",
        text="Good energy.",
        kind="session_feedback",
        by=world.admin_a,
    ).source
    assert set(perm.visible_qual_sources(world.researcher_a)) == {interview, own, colleague}
    assert set(perm.visible_qual_sources(world.admin_a)) == {interview, own, colleague}
    # A facilitator reads only the feedback and reflections they added themselves.
    assert set(perm.visible_qual_sources(world.facilitator_a)) == {own}
    assert set(perm.visible_qual_sources(world.facilitator_b)) == set()
    assert set(perm.visible_qual_sources(world.p1_user)) == set()
    assert set(perm.visible_qual_sources(AnonymousUser())) == set()
    assert not perm.can_view_qual_source(world.facilitator_a, interview)
    assert set(perm.visible_qual_projects(world.researcher_a)) == {project}
    assert set(perm.visible_qual_projects(world.facilitator_a)) == set()
    assert set(perm.visible_qual_projects(world.p1_user)) == set()


def test_actions_refuse_those_not_allowed(world, project) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        actions.add_source(project=project, name="x", text="words", by=world.facilitator_a)
    with pytest.raises(NotAllowed):
        actions.add_source(project=project, name="x", text="words", by=world.facilitator_b)
    with pytest.raises(NotAllowed):
        actions.add_source(
            project=project, name="x", text="words", kind="reflection", by=world.p1_user
        )
    with pytest.raises(NotAllowed):
        actions.add_code(project=project, name="Loss", by=world.facilitator_a)
    with pytest.raises(NotAllowed):
        actions.create_project(site=world.site_a, name="Mine", by=world.p1_user)
    with pytest.raises(NotAllowed):
        actions.export_project(project=project, by=world.facilitator_b)
    assert Source.objects.count() == 0


def test_pseudonym_map_and_recycle_bin_are_gated(world, project) -> None:  # type: ignore[no-untyped-def]
    from balm.qualitative import queries

    source = actions.add_source(
        project=project, name="s", text="Sam Two came.", by=world.researcher_a
    ).source
    entries = queries.pseudonym_map(world.site_a, by=world.admin_a)
    assert [(e.original, e.replacement) for e in entries] == [("sam two", "[participant A]")]
    for persona in ("researcher_a", "facilitator_a", "facilitator_b", "p1_user"):
        with pytest.raises(NotAllowed):
            queries.pseudonym_map(world.site_a, by=getattr(world, persona))
    actions.delete_source(source=source, by=world.researcher_a)
    (item,) = queries.deleted_items(project, by=world.admin_a)
    assert (item.kind, item.obj, item.deleted_by) == ("source", source, world.researcher_a)
    with pytest.raises(NotAllowed):
        queries.deleted_items(project, by=world.facilitator_a)
    events = queries.history(source, by=world.researcher_a, site=world.site_a)
    assert [e.action for e in events] == ["qual.source.add", "qual.source.delete"]
    with pytest.raises(NotAllowed):
        queries.history(source, by=world.p1_user, site=world.site_a)
