"""Adding a file to a project: read it, pseudonymise it, keep its speaker turns.

The order matters: the text is normalised once by the reader, then pseudonymised; turn
offsets are carried through the replacements (no replacement crosses a line break, and turns
start and end at line breaks), and speaker names are pseudonymised with the same map, so a
speaker label and the text agree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from balm.qual.errors import QualInputError
from balm.qual.project import SOURCE_KINDS, Case, Project, Source, Turn, User, new_id, now
from balm.qual.pseudonymise import NameLists, PseudonymMap, Replacement, pseudonymise
from balm.qual.readers import RawText, read_source_file


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The source as stored and every replacement made in it (for a person to review)."""

    source: Source
    replacements: tuple[Replacement, ...]


def add_source_file(
    project: Project,
    path: Path,
    *,
    case: str | None,
    kind: str = "interview",
    names: NameLists,
    mapping: PseudonymMap,
    by: str,
) -> ImportReport:
    """Read ``path`` and add it to ``project`` pseudonymised (see :func:`add_raw_text`)."""
    return add_raw_text(
        project, read_source_file(path), case=case, kind=kind, names=names, mapping=mapping, by=by
    )


def add_raw_text(
    project: Project,
    raw: RawText,
    *,
    case: str | None,
    kind: str = "interview",
    names: NameLists,
    mapping: PseudonymMap,
    by: str,
) -> ImportReport:
    """Pseudonymise ``raw`` and add it to ``project`` as a new source of case ``case``.

    ``case`` is a case name (e.g. ``P03``), made if the project has none by that name; the
    participant's names become that name. ``by`` is the importing user's name, added to the
    project's users if new. ``mapping`` gains any new name.
    """
    problems = []
    if kind not in SOURCE_KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    if not by.strip():
        problems.append("the importing user's name is empty")
    if case is not None and not case.strip():
        problems.append("the case name is empty")
    names = dataclasses.replace(names, participant_label=case or names.participant_label)
    # File names often carry the participant's name ("sarah_jones_interview.docx").
    name = pseudonymise(raw.name.replace("_", " "), names, mapping).text
    if any(s.name == name for s in project.sources):
        problems.append(f"the project already has a source named {name!r}")
    if problems:
        raise QualInputError(problems)
    user = project.user_named(by)
    if user is None:
        user = User(new_id(), by)
        project.users.append(user)
    case_id = None
    if case is not None:
        found = project.case_named(case)
        if found is None:
            found = Case(new_id(), case)
            project.cases.append(found)
        case_id = found.id
    result = pseudonymise(raw.text, names, mapping)
    speakers = {
        speaker: pseudonymise(speaker, names, mapping).text
        for speaker in {t.speaker for t in raw.turns if t.speaker is not None}
    }
    turns = []
    for turn in raw.turns:
        start, end = result.map_span(turn.start, turn.end)
        speaker = None if turn.speaker is None else speakers[turn.speaker]
        turns.append(Turn(start, end, speaker, turn.begin_ms, turn.end_ms))
    source = Source(
        id=new_id(),
        name=name,
        text=result.text,
        kind=kind,
        case=case_id,
        turns=tuple(turns),
        created=now(),
        creator=user.id,
    )
    project.sources.append(source)
    return ImportReport(source, result.replacements)
