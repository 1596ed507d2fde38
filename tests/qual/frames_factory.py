"""Build the qualitative data frames of the contract by hand, for the analysis tests.

The columns and dtypes follow the contract between the two halves of ``balm.qual`` (sources,
segments, codes, codings, themes, theme_members, notes, case_variables). Every helper takes
plain tuples so a test reads like the hand-worked case it checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd


def _frame(rows: Iterable[Sequence[Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=columns)
    return frame


def sources(rows: Iterable[tuple[str, str | None, str, str]]) -> pd.DataFrame:
    """(source id, case or None, kind, text); the name is the id."""
    frame = _frame(
        [(s, s, pd.NA if c is None else c, k, t) for s, c, k, t in rows],
        ["source", "name", "case", "kind", "text"],
    )
    return frame.astype(
        {"source": "string", "name": "string", "case": "string", "kind": "string", "text": "string"}
    )


def segments(rows: Iterable[tuple[str, int, int, str | None]] = ()) -> pd.DataFrame:
    """(source, start, end, speaker or None)."""
    frame = _frame(
        [(s, a, b, pd.NA if sp is None else sp) for s, a, b, sp in rows],
        ["source", "start", "end", "speaker"],
    )
    return frame.astype({"source": "string", "start": "int64", "end": "int64", "speaker": "string"})


def codes(rows: Iterable[tuple[str, str, str | None]]) -> pd.DataFrame:
    """(code id, name, parent id or None); no colours."""
    frame = _frame(
        [(c, n, pd.NA if p is None else p, pd.NA) for c, n, p in rows],
        ["code", "name", "parent", "color"],
    )
    return frame.astype({"code": "string", "name": "string", "parent": "string", "color": "string"})


def codings(rows: Iterable[tuple[str, int, int, str, str]]) -> pd.DataFrame:
    """(source, start, end, code, coder); ids "k1", "k2", ... in order, origin "person"."""
    frame = _frame(
        [(f"k{i}", s, a, b, c, who, "person") for i, (s, a, b, c, who) in enumerate(rows, 1)],
        ["coding", "source", "start", "end", "code", "coder", "origin"],
    )
    return frame.astype(
        {
            "coding": "string",
            "source": "string",
            "start": "int64",
            "end": "int64",
            "code": "string",
            "coder": "string",
            "origin": "string",
        }
    )


def themes(rows: Iterable[tuple[str, str, str | None, str, str | None]]) -> pd.DataFrame:
    """(theme id, name, parent id or None, level, case or None)."""
    frame = _frame(
        [
            (t, n, pd.NA if p is None else p, lv, pd.NA if c is None else c)
            for t, n, p, lv, c in rows
        ],
        ["theme", "name", "parent", "level", "case"],
    )
    return frame.astype(
        {
            "theme": "string",
            "name": "string",
            "parent": "string",
            "level": "string",
            "case": "string",
        }
    )


def theme_members(rows: Iterable[tuple[str, str, str]] = ()) -> pd.DataFrame:
    """(theme id, kind "coding"/"code"/"note", member id)."""
    frame = _frame(list(rows), ["theme", "kind", "member"])
    return frame.astype({"theme": "string", "kind": "string", "member": "string"})


def notes(rows: Iterable[tuple[str, str | None, int | None, int | None, str]] = ()) -> pd.DataFrame:
    """(note id, source or None, start or None, end or None, text); kind "memo"."""
    frame = _frame(
        [
            (
                n,
                pd.NA if s is None else s,
                pd.NA if a is None else a,
                pd.NA if b is None else b,
                "memo",
                "R1",
                t,
                "source",
                pd.NA if s is None else s,
            )
            for n, s, a, b, t in rows
        ],
        ["note", "source", "start", "end", "kind", "author", "text", "target_kind", "target"],
    )
    return frame.astype(
        {
            "note": "string",
            "source": "string",
            "start": "Int64",
            "end": "Int64",
            "kind": "string",
            "author": "string",
            "text": "string",
            "target_kind": "string",
            "target": "string",
        }
    )


def case_variables(
    rows: Iterable[dict[str, Any]] = (), columns: Sequence[str] = ()
) -> pd.DataFrame:
    """One dict per case: {"case": "P01", "cohort": "A", ...}."""
    data = list(rows)
    if not data:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in ["case", *columns]})
    frame = pd.DataFrame(data)
    frame["case"] = frame["case"].astype("string")
    return frame
