"""Checks shared by the analyses: the columns each contract frame must have, and span checks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from balm.qual.analysis_errors import FrameContractError

COLUMNS: dict[str, tuple[str, ...]] = {
    "sources": ("source", "name", "case", "kind", "text"),
    "segments": ("source", "start", "end", "speaker"),
    "codes": ("code", "name", "parent", "color"),
    "codings": ("coding", "source", "start", "end", "code", "coder", "origin"),
    "themes": ("theme", "name", "parent", "level", "case"),
    "theme_members": ("theme", "kind", "member"),
    "notes": ("note", "source", "start", "end", "kind", "author", "text", "target_kind", "target"),
    "case_variables": ("case",),
}


def require(frame: pd.DataFrame, name: str) -> None:
    """Raise FrameContractError when ``frame`` lacks a column the contract gives ``name``."""
    missing = [c for c in COLUMNS[name] if c not in frame.columns]
    if missing:
        raise FrameContractError(f"the {name} frame has no column(s) {', '.join(missing)}")


def span_problems(spans: pd.DataFrame, lengths: pd.Series, what: str, id_column: str) -> list[str]:
    """Every span whose source is unknown or whose [start, end) is not inside its text.

    ``lengths`` maps a source id to the number of code points of its text.
    """
    problems: list[str] = []
    length = spans["source"].map(lengths)
    unknown = length.isna().to_numpy()
    start = spans["start"].to_numpy(dtype=np.int64)
    end = spans["end"].to_numpy(dtype=np.int64)
    safe_length = length.fillna(0).to_numpy(dtype=np.int64)
    bad = ~unknown & ((start < 0) | (end <= start) | (end > safe_length))
    ids = spans[id_column].astype(str).to_numpy()
    for i in np.flatnonzero(unknown):
        problems.append(f"{what} {ids[i]}: source {spans['source'].iloc[i]} is not in the project")
    for i in np.flatnonzero(bad):
        problems.append(
            f"{what} {ids[i]}: span {start[i]}-{end[i]} is not inside its text "
            f"(0-{safe_length[i]}, start < end)"
        )
    return problems


def unknown(chosen: Iterable[str], known: Iterable[str], what: str) -> list[str]:
    """A problem line for each chosen id that is not among the known ones."""
    known_set = set(known)
    allowed = ", ".join(sorted(known_set)) or "none"
    return [
        f"{what} {c!r} is not in the project (known: {allowed})"
        for c in chosen
        if c not in known_set
    ]
