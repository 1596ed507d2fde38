"""Writes to qualitative projects: pseudonymised on the way in, every problem at once, one
audit event each, deletions recoverable. Expected texts and offsets are worked by hand in the
comments beside them."""

from __future__ import annotations

import pytest

from balm.accounts.errors import InvalidInput
from balm.audit.models import AuditEvent
from balm.qualitative import actions
from balm.qualitative.convert import to_project
from balm.qualitative.models import Code, Coding, PseudonymEntry, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(world):  # type: ignore[no-untyped-def]
    return actions.create_project(site=world.site_a, name="Study A", by=world.researcher_a)


def test_add_source_pseudonymises_with_the_names_balm_knows(world, project) -> None:  # type: ignore[no-untyped-def]
    world.facilitator_a.first_name, world.facilitator_a.last_name = "Alex", "Morgan"
    world.facilitator_a.save()
    text = (
        "Interviewer: How was it?\r\n"
        "Pat One: Sam Two and I met Alex Morgan in Larkfield. Call 07700 900123.\r\n"
    )
    added = actions.add_source(
        project=project,
        name="pat_one_interview",
        text=text,
        participant=world.p1,
        terms=[("Larkfield", "place")],
        by=world.researcher_a,
    )
    source = added.source
    # P1 is named by pseudonym, P2 (another participant of the site) becomes [participant A],
    # the facilitator [staff 1], the listed place [place], the phone number [phone]; \r\n
    # becomes \n.
    assert source.text == (
        "Interviewer: How was it?\n"
        "P1: [participant A] and I met [staff 1] in [place]. Call [phone]."
    )
    assert source.name == "P1 interview"
    # Turns: "Interviewer: How was it?" is 24 code points; the second turn starts after "\n".
    assert source.turns == [
        {"start": 0, "end": 24, "speaker": "Interviewer", "begin_ms": None, "end_ms": None},
        {"start": 25, "end": len(source.text), "speaker": "P1", "begin_ms": None, "end_ms": None},
    ]
    assert source.participant == world.p1 and source.enrolment == world.enrolment_p1
    assert source.case.name == "P1" and source.case.participant == world.p1
    assert len(added.replacements) == 5  # Pat One, Sam Two, Alex Morgan, place, phone
    entries = dict(PseudonymEntry.objects.values_list("original", "replacement"))
    assert entries == {
        "pat one": "P1",
        "sam two": "[participant A]",
        "alex morgan": "[staff 1]",
        "larkfield": "[place]",
    }
    assert (
        AuditEvent.objects.filter(action="qual.source.add", object_id=str(source.pk)).count() == 1
    )


def test_the_same_name_keeps_its_pseudonym_across_sources(world, project) -> None:  # type: ignore[no-untyped-def]
    world.p1.name = "Ann Lee"
    world.p1.save()
    first = actions.add_source(project=project, name="a", text="Ann Lee came.", by=world.admin_a)
    second = actions.add_source(
        project=project, name="b", text="Sam Two and Ann Lee.", by=world.admin_a
    )
    # Without a participant given, Ann Lee is "another participant": [participant A] both times;
    # Sam Two is the next one, [participant B].
    assert first.source.text == "[participant A] came."
    assert second.source.text == "[participant B] and [participant A]."


def test_add_source_lists_every_problem(world, project) -> None:  # type: ignore[no-untyped-def]
    other_site_person = world.cohort_b.site.participants.create(pseudonym="Q9")
    with pytest.raises(InvalidInput) as caught:
        actions.add_source(
            project=project,
            name=" ",
            text="",
            kind="podcast",
            participant=other_site_person,
            by=world.researcher_a,
        )
    assert {p.field for p in caught.value.problems} == {"name", "text", "kind", "participant"}
    assert Source.objects.count() == 0


def _source(world, project, text="Interviewer: Hello there.\nP1: It hurts every day."):  # type: ignore[no-untyped-def]
    return actions.add_source(project=project, name="s", text=text, by=world.researcher_a).source


def test_coding_outside_the_text_is_refused_with_every_problem(world, project) -> None:  # type: ignore[no-untyped-def]
    source = _source(world, project)
    code = actions.add_code(project=project, name="Pain", by=world.researcher_a)
    actions.delete_code(code=code, by=world.researcher_a)
    # "Interviewer: Hello there." is 25 code points, then "\n", "P1: " (26-29) and
    # "It hurts every day." (19, from 30): 49 in all.
    assert len(source.text) == 49
    with pytest.raises(InvalidInput) as caught:
        actions.add_coding(
            source=source, start=40, end=51, code=code, origin="guess", by=world.researcher_a
        )
    fields = [p.field for p in caught.value.problems]
    assert fields == ["start", "code", "origin"]
    assert "need 0 <= start < end <= 49" in caught.value.problems[0].message
    with pytest.raises(InvalidInput):
        actions.add_coding(source=source, start=5, end=5, code=code, by=world.researcher_a)
    assert Coding.objects.count() == 0


def test_a_suggestion_records_who_accepted_it(world, project) -> None:  # type: ignore[no-untyped-def]
    source = _source(world, project)
    code = actions.add_code(project=project, name="Pain", by=world.researcher_a)
    coding = actions.add_coding(
        source=source, start=30, end=49, code=code, origin="suggestion", by=world.researcher_a
    )
    assert source.text[coding.start : coding.end] == "It hurts every day."
    assert coding.accepted_by == world.researcher_a and coding.coder.user == world.researcher_a


def test_deleting_a_code_hides_its_branch_and_codings_until_restored(world, project) -> None:  # type: ignore[no-untyped-def]
    source = _source(world, project)
    by = world.researcher_a
    parent = actions.add_code(project=project, name="Impact", colour="#9A3412", by=by)
    child = actions.add_code(project=project, name="Loss", parent=parent, by=by)
    other = actions.add_code(project=project, name="Hope", by=by)
    actions.add_coding(source=source, start=30, end=49, code=child, by=by)
    actions.add_coding(source=source, start=0, end=11, code=other, by=by)
    assert actions.delete_code(code=parent, by=by) == 2
    out = to_project(project)
    assert [c.name for c in out.codes] == ["Hope"]
    assert len(out.codings) == 1
    with pytest.raises(InvalidInput):
        actions.restore_code(code=Code.objects.get(pk=child.pk), by=by)  # parent still deleted
    assert actions.restore_code(code=parent, by=by) == 2
    out = to_project(project)
    assert {c.name for c in out.codes} == {"Impact", "Loss", "Hope"}
    assert len(out.codings) == 2
    actions_seen = list(
        AuditEvent.objects.filter(object_id=str(parent.pk), object_type="qualitative.code")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions_seen == ["qual.code.add", "qual.code.delete", "qual.code.restore"]


def test_deleting_a_source_is_recoverable(world, project) -> None:  # type: ignore[no-untyped-def]
    source = _source(world, project)
    code = actions.add_code(project=project, name="Pain", by=world.admin_a)
    coding = actions.add_coding(source=source, start=30, end=49, code=code, by=world.admin_a)
    actions.delete_source(source=source, by=world.admin_a)
    assert to_project(project).sources == [] and to_project(project).codings == []
    actions.restore_source(source=source, by=world.admin_a)
    out = to_project(project)
    assert [c.id for c in out.codings] == [str(coding.uid)]
    actions.remove_coding(coding=coding, by=world.admin_a)
    assert to_project(project).codings == []
    actions.restore_coding(coding=coding, by=world.admin_a)
    assert len(to_project(project).codings) == 1


def test_moving_a_code_under_itself_is_refused(world, project) -> None:  # type: ignore[no-untyped-def]
    by = world.researcher_a
    top = actions.add_code(project=project, name="Top", by=by)
    low = actions.add_code(project=project, name="Low", parent=top, by=by)
    with pytest.raises(InvalidInput):
        actions.move_code(code=top, parent=low, by=by)
    actions.move_code(code=low, parent=None, by=by)
    low.refresh_from_db()
    assert low.parent is None


def test_notes_and_themes(world, project) -> None:  # type: ignore[no-untyped-def]
    by = world.researcher_a
    source = actions.add_source(
        project=project, name="s", text="P1: It hurts.", participant=world.p1, by=by
    ).source
    code = actions.add_code(project=project, name="Pain", by=by)
    coding = actions.add_coding(source=source, start=4, end=13, code=code, by=by)
    note = actions.add_note(
        project=project,
        text="Sam Two said the same.",
        kind="descriptive",
        target_kind="coding",
        target_uid=coding.uid,
        source=source,
        start=4,
        end=13,
        by=by,
    )
    get = actions.create_theme(project=project, name="Living with pain", level="group", by=by)
    pet = actions.create_theme(
        project=project, name="It hurts", level="personal", case=source.case, parent=get, by=by
    )
    actions.add_theme_member(theme=pet, kind="coding", member_uid=coding.uid, by=by)
    actions.add_theme_member(theme=pet, kind="note", member_uid=note.uid, by=by)
    with pytest.raises(InvalidInput) as caught:
        actions.create_theme(project=project, name="", level="personal", by=by)
    assert {p.field for p in caught.value.problems} == {"name", "case"}
    with pytest.raises(InvalidInput):
        actions.move_theme(theme=get, parent=pet, by=by)
    with pytest.raises(InvalidInput):
        actions.add_note(project=project, text="x", target_kind="code", by=by)
    out = to_project(project)
    assert [(m.kind, m.member) for m in out.themes[1].members] == [
        ("coding", str(coding.uid)),
        ("note", str(note.uid)),
    ]
    assert out.notes[0].start == 4 and out.notes[0].target == str(coding.uid)


def test_a_deleted_note_leaves_the_export_and_its_theme_until_restored(world, project) -> None:  # type: ignore[no-untyped-def]
    by = world.researcher_a
    note = actions.add_note(project=project, text="First impressions.", by=by)
    theme = actions.create_theme(project=project, name="Early", level="theme", by=by)
    actions.add_theme_member(theme=theme, kind="note", member_uid=note.uid, by=by)
    actions.delete_note(note=note, by=by)
    out = to_project(project)
    assert out.notes == [] and out.themes[0].members == ()
    with pytest.raises(InvalidInput):
        actions.delete_note(note=note, by=by)
    actions.restore_note(note=note, by=by)
    out = to_project(project)
    assert [n.text for n in out.notes] == ["First impressions."]
    assert len(out.themes[0].members) == 1
