"""The actions the workspace added: a reader's speaker turns kept with a source (and refused
when they do not fit its text), resizing a coding (audited, refused outside the text or over a
change made meanwhile), and a note made an experiential statement (only on a participant's
source)."""

from __future__ import annotations

import pytest
from tests.web.qual_support import QualWorld, qual_world

from balm.accounts.errors import InvalidInput
from balm.audit.models import AuditEvent
from balm.qual.project import Turn
from balm.qualitative import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def qw(world) -> QualWorld:  # type: ignore[no-untyped-def]
    return qual_world(world)


def test_reader_turns_are_kept_and_checked(qw: QualWorld) -> None:
    text = "Interviewer: Hi.\nP1: Hello."
    turns = [Turn(0, 16, "Interviewer", 0, 900), Turn(17, 27, "P1", 1000, 2000)]
    source = actions.add_source(
        project=qw.project, name="timed", text=text, turns=turns, by=qw.world.researcher_a
    ).source
    assert [(t["speaker"], t["begin_ms"], t["end_ms"]) for t in source.turns] == [
        ("Interviewer", 0, 900),
        ("P1", 1000, 2000),
    ]
    with pytest.raises(InvalidInput, match="speaker turns do not fit"):
        actions.add_source(
            project=qw.project,
            name="bad turns",
            text=text,
            turns=[Turn(0, 99, None)],
            by=qw.world.researcher_a,
        )
    # offsets must be those of the normalised text: a text with \r\n is refused with turns
    with pytest.raises(InvalidInput, match="speaker turns do not fit"):
        actions.add_source(
            project=qw.project,
            name="crlf",
            text="A: x\r\nB: y",
            turns=[Turn(0, 4, "A")],
            by=qw.world.researcher_a,
        )


def test_resize_is_audited_and_checked(qw: QualWorld) -> None:
    coding = qw.coding_a
    start, end = coding.start, coding.end
    actions.resize_coding(
        coding=coding, start=start - 3, end=end, expected=(start, end), by=qw.world.researcher_a
    )
    event = AuditEvent.objects.get(action="qual.coding.resize")
    assert event.details == {"from": [start, end], "to": [start - 3, end]}
    with pytest.raises(InvalidInput, match="changed this coding meanwhile"):
        actions.resize_coding(
            coding=coding, start=start, end=end, expected=(start, end), by=qw.coder_2
        )
    with pytest.raises(InvalidInput, match="not inside the text"):
        actions.resize_coding(coding=coding, start=5, end=5, by=qw.coder_2)
    actions.remove_coding(coding=coding, by=qw.coder_2)
    with pytest.raises(InvalidInput, match="removed meanwhile"):
        actions.resize_coding(coding=coding, start=1, end=4, by=qw.world.researcher_a)


def test_a_statement_needs_a_participants_source(qw: QualWorld) -> None:
    loose = actions.add_source(
        project=qw.project, name="no one", text="Some words here.", by=qw.world.researcher_a
    ).source
    note = actions.add_note(
        project=qw.project,
        text="A thought",
        kind="conceptual",
        target_kind="source",
        target_uid=loose.uid,
        source=loose,
        start=0,
        end=4,
        by=qw.world.researcher_a,
    )
    with pytest.raises(InvalidInput, match="participant's source"):
        actions.note_to_statement(note=note, by=qw.world.researcher_a)
