"""A project as pandas data frames: the contract between balm.qual's model and its analyses.

Column names and dtypes are fixed (see docs/qual.md): ids and names are ``string`` columns
(missing = ``pd.NA``), offsets ``int64`` (``Int64`` for notes, which may not be anchored).
Empty frames keep their columns. Users are named in ``codings.coder`` and ``notes.author``,
cases by name in ``sources.case`` and ``themes.case``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from balm.qual.project import Project, validate_project

_STRING = "string"

SOURCES = {"source": _STRING, "name": _STRING, "case": _STRING, "kind": _STRING, "text": _STRING}
SEGMENTS = {"source": _STRING, "start": "int64", "end": "int64", "speaker": _STRING}
CODES = {"code": _STRING, "name": _STRING, "parent": _STRING, "color": _STRING}
CODINGS = {
    "coding": _STRING,
    "source": _STRING,
    "start": "int64",
    "end": "int64",
    "code": _STRING,
    "coder": _STRING,
    "origin": _STRING,
}
THEMES = {"theme": _STRING, "name": _STRING, "parent": _STRING, "level": _STRING, "case": _STRING}
THEME_MEMBERS = {"theme": _STRING, "kind": _STRING, "member": _STRING}
NOTES = {
    "note": _STRING,
    "source": _STRING,
    "start": "Int64",
    "end": "Int64",
    "kind": _STRING,
    "author": _STRING,
    "text": _STRING,
    "target_kind": _STRING,
    "target": _STRING,
}


@dataclass(frozen=True)
class ProjectFrames:
    """One data frame per part of a project (columns as in docs/qual.md)."""

    sources: pd.DataFrame
    segments: pd.DataFrame
    codes: pd.DataFrame
    codings: pd.DataFrame
    themes: pd.DataFrame
    theme_members: pd.DataFrame
    notes: pd.DataFrame
    case_variables: pd.DataFrame


def _frame(rows: list[tuple[Any, ...]], columns: dict[str, str]) -> pd.DataFrame:
    data = {
        name: pd.Series([row[i] for row in rows], dtype=dtype)
        for i, (name, dtype) in enumerate(columns.items())
    }
    return pd.DataFrame(data, columns=list(columns))


def project_frames(project: Project) -> ProjectFrames:
    """The frames of ``project``. Speaker turns become ``segments``; a source with no turns
    gives one segment over its whole text (with no speaker). An invalid project is a
    :class:`~balm.qual.errors.QualInputError`."""
    validate_project(project)
    user_names = {u.id: u.name for u in project.users}
    case_names = {c.id: c.name for c in project.cases}

    def case_name(case_id: str | None) -> str | None:
        return None if case_id is None else case_names[case_id]

    sources = [(s.id, s.name, case_name(s.case), s.kind, s.text) for s in project.sources]
    segments = []
    for s in project.sources:
        if s.turns:
            segments += [(s.id, t.start, t.end, t.speaker) for t in s.turns]
        elif s.text:
            segments.append((s.id, 0, len(s.text), None))
    codes = [(c.id, c.name, c.parent, c.color) for c in project.codes]
    codings = [
        (c.id, c.source, c.start, c.end, c.code, user_names[c.coder], c.origin)
        for c in project.codings
    ]
    themes = [(t.id, t.name, t.parent, t.level, case_name(t.case)) for t in project.themes]
    members = [(t.id, m.kind, m.member) for t in project.themes for m in t.members]
    notes = [
        (
            n.id,
            n.source,
            n.start,
            n.end,
            n.kind,
            user_names[n.author],
            n.text,
            n.target_kind,
            n.target,
        )
        for n in project.notes
    ]
    variables = sorted({name for c in project.cases for name in c.variables})
    case_variables = pd.DataFrame(
        [{"case": c.name, **{v: c.variables.get(v) for v in variables}} for c in project.cases],
        columns=["case", *variables],
    )
    case_variables["case"] = case_variables["case"].astype(pd.StringDtype())
    return ProjectFrames(
        sources=_frame(sources, SOURCES),
        segments=_frame(segments, SEGMENTS),
        codes=_frame(codes, CODES),
        codings=_frame(codings, CODINGS),
        themes=_frame(themes, THEMES),
        theme_members=_frame(members, THEME_MEMBERS),
        notes=_frame(notes, NOTES),
        case_variables=case_variables,
    )
