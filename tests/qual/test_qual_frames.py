"""project_frames: the columns and dtypes of the contract (docs/qual.md), filled by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.qual.conftest import FLARE, P03, PAIN, S1, S2

from balm.qual import QualInputError
from balm.qual.frames import project_frames
from balm.qual.project import Coding, Project

COLUMNS = {
    "sources": ["source", "name", "case", "kind", "text"],
    "segments": ["source", "start", "end", "speaker"],
    "codes": ["code", "name", "parent", "color"],
    "codings": ["coding", "source", "start", "end", "code", "coder", "origin"],
    "themes": ["theme", "name", "parent", "level", "case"],
    "theme_members": ["theme", "kind", "member"],
    "notes": [
        "note", "source", "start", "end", "kind", "author", "text", "target_kind", "target",
    ],
}  # fmt: skip


def test_empty_project_keeps_columns() -> None:
    frames = project_frames(Project("empty"))
    for name, columns in COLUMNS.items():
        frame = getattr(frames, name)
        assert list(frame.columns) == columns and frame.empty, name
    assert list(frames.case_variables.columns) == ["case"]
    assert frames.codings["start"].dtype == "int64"
    assert frames.notes["start"].dtype == "Int64"


def test_frames_of_the_fixture(project: Project) -> None:
    frames = project_frames(project)
    for name, columns in COLUMNS.items():
        assert list(getattr(frames, name).columns) == columns, name
    sources = frames.sources.set_index("source")
    assert sources.loc[S1, "case"] == "P03"  # the case's name, not its id
    assert pd.isna(sources.loc[S2, "case"])
    # Segments: S1's two turns; S2 has none, so one segment over its 21 characters.
    assert frames.segments.astype(object).where(frames.segments.notna(), None).values.tolist() == [
        [S1, 0, 29, "Interviewer"],
        [S1, 30, 73, "P03"],
        [S2, 0, 21, None],
    ]
    codes = frames.codes.set_index("code")
    assert codes.loc[FLARE, "parent"] == PAIN and pd.isna(codes.loc[PAIN, "parent"])
    assert frames.codings["coder"].tolist() == ["Ann", "Ben", "Ben"]  # names, not ids
    assert frames.codings["origin"].tolist() == ["person", "person", "suggestion"]
    themes = frames.themes.set_index("name")
    assert themes.loc["Pain and energy", "case"] == "P03"
    assert pd.isna(themes.loc["Bodies that set limits", "case"])
    assert frames.theme_members["kind"].tolist() == ["coding", "code", "note"]
    notes = frames.notes.set_index("text")
    assert notes.loc["Tiredness as trigger", "start"] == 35
    assert pd.isna(notes.loc["Whole project memo", "start"])
    assert notes.loc["Hedged words", "target_kind"] == "theme"
    assert frames.case_variables.to_dict("records") == [
        {"case": "P03", "completed": True, "sessions": 11, "site": "North"}
    ]
    for name in ("sources", "codes", "codings", "themes", "notes"):
        frame = getattr(frames, name)
        assert all(frame[c].dtype == "string" for c in frame if c not in ("start", "end"))
    assert P03 not in frames.sources["case"].dropna().tolist()


def test_invalid_project_is_refused(project: Project) -> None:
    project.codings.append(Coding("x", S1, 0, 1, PAIN, "nobody"))
    with pytest.raises(QualInputError, match="unknown user id 'nobody'"):
        project_frames(project)
