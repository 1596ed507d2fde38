"""A small project at site A for the analysis pages: two participants' interviews, one
experiential statement each (anchored notes), a personal theme each, two coders.

Texts are written so every span is easy to count by hand; P2's statement starts with "=" to
check that exports defuse spreadsheet formulas."""

from __future__ import annotations

from dataclasses import dataclass

from balm.qualitative import actions
from balm.qualitative.models import Code, Note, QualProject, Source, Theme

P1_TEXT = "Interviewer: How was it?\nParticipant: I felt alone for years. The group helped.\n"
P2_TEXT = "Interviewer: And you?\nParticipant: =SUM(1) we laughed together, it mattered.\n"
P1_STATEMENT = "I felt alone for years."
P2_STATEMENT = "=SUM(1) we laughed together"


@dataclass
class Study:
    project: QualProject
    s1: Source
    s2: Source
    n1: Note
    n2: Note
    pet1: Theme
    pet2: Theme
    code: Code


def make_study(world) -> Study:  # type: ignore[no-untyped-def]
    by = world.researcher_a
    project = actions.create_project(site=world.site_a, name="Study A", by=by)
    s1 = actions.add_source(
        project=project, name="P1 interview", text=P1_TEXT, participant=world.p1, by=by
    ).source
    s2 = actions.add_source(
        project=project, name="P2 interview", text=P2_TEXT, participant=world.p2, by=by
    ).source
    a1 = s1.text.index(P1_STATEMENT)
    a2 = s2.text.index(P2_STATEMENT)
    n1 = actions.add_note(
        project=project,
        text="Isolation before the group",
        kind="conceptual",
        target_kind="source",
        target_uid=s1.uid,
        source=s1,
        start=a1,
        end=a1 + len(P1_STATEMENT),
        by=by,
    )
    n2 = actions.add_note(
        project=project,
        text="Shared laughter",
        kind="conceptual",
        target_kind="source",
        target_uid=s2.uid,
        source=s2,
        start=a2,
        end=a2 + len(P2_STATEMENT),
        by=by,
    )
    pet1 = actions.create_theme(
        project=project, name="Alone no more", level="personal", case=s1.case, by=by
    )
    pet2 = actions.create_theme(
        project=project, name="Laughing again", level="personal", case=s2.case, by=by
    )
    code = actions.add_code(project=project, name="Connection", by=by)
    return Study(project, s1, s2, n1, n2, pet1, pet2, code)
