"""Recurrence of group themes across participants (cases), as in interpretative
phenomenological analysis (IPA) write-ups.

For each group theme (level ``group`` for IPA, or ``theme`` for reflexive thematic analysis)
and each case, the cell counts the passages under the theme (see
:func:`balm.qual.queries.theme_spans`: its child themes' members, recursively; codings
directly, codes through their codings and their descendants' codings, anchored notes) that lie
in that case's sources. A theme is present for a case when the count is at least one; its
recurrence is the share of cases in which it is present.

Exemplar rule: the longest passage of at most ``exemplar_max`` characters (default 300); ties
go to the earlier passage (sources in the order of the sources frame, then by start). When every
passage is longer, the shortest is cut to ``exemplar_max`` characters and ends with "...".

Reference: Smith JA, Flowers P, Larkin M (2022). Interpretative phenomenological analysis:
theory, method and research, 2nd ed. Sage (recurrence of group experiential themes across
participants).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.frame_checks import require
from balm.qual.queries import descendants

GROUP_LEVELS = ("group", "theme")
THEME_LEVELS = ("statement", "personal", "group", "subtheme", "theme")
LONG_COLUMNS = [
    "theme",
    "theme_name",
    "level",
    "case",
    "passages",
    "present",
    "exemplar",
    "exemplar_source",
    "exemplar_start",
    "exemplar_end",
]


@dataclass(frozen=True)
class Recurrence:
    """Themes x cases: ``long`` has one row per (theme, case); ``table`` is the wide view."""

    long: pd.DataFrame
    table: pd.DataFrame
    cases: tuple[str, ...]
    exemplar_rule: str

    def to_json(self) -> dict[str, Any]:
        """Rows of the long form plus each theme's share of cases."""
        rows = self.long.astype(object).where(self.long.notna(), None).to_dict(orient="records")
        return {
            "cases": list(self.cases),
            "exemplar_rule": self.exemplar_rule,
            "cells": rows,
            "themes": [
                {
                    "theme": str(theme),
                    "theme_name": str(row["theme_name"]),
                    "cases_present": int(row["cases_present"]),
                    "share": float(row["share"]),
                }
                for theme, row in self.table.iterrows()
            ],
        }


def recurrence(
    sources: pd.DataFrame,
    codes: pd.DataFrame,
    codings: pd.DataFrame,
    themes: pd.DataFrame,
    theme_members: pd.DataFrame,
    notes: pd.DataFrame,
    *,
    levels: Sequence[str] = GROUP_LEVELS,
    cases: Sequence[str] | None = None,
    exemplar_max: int = 300,
    include_code_descendants: bool = True,
) -> Recurrence:
    """Passages per group theme and case, presence, exemplar quote and share of cases.

    Parameters
    ----------
    levels : sequence of str
        Theme levels to report (default the top levels: "group" and "theme").
    cases : sequence of str, optional
        The participants (columns); default every case of the sources frame, sorted.
    exemplar_max : int
        Longest exemplar quote in characters (see the module docstring for the rule).

    Returns
    -------
    Recurrence
        ``long``: theme, theme_name, level, case, passages, present, exemplar,
        exemplar_source, exemplar_start, exemplar_end. ``table``: one row per theme (index
        the theme id) with theme_name, level, one column of passage counts per case,
        cases_present and share (cases present / number of cases).
    """
    for frame, name in ((sources, "sources"), (themes, "themes")):
        require(frame, name)
    problems = [
        f"level {lv!r} is not one of {', '.join(THEME_LEVELS)}"
        for lv in levels
        if lv not in THEME_LEVELS
    ]
    if exemplar_max < 1:
        problems.append(f"exemplar_max must be 1 or more, not {exemplar_max}")
    if problems:
        raise QualAnalysisError(problems)
    case_of = dict(zip(sources["source"].astype(str), sources["case"], strict=True))
    known_cases = sorted({str(c) for c in case_of.values() if not pd.isna(c)})
    chosen_cases = list(cases) if cases is not None else known_cases
    missing = [c for c in chosen_cases if c not in known_cases]
    if missing:
        raise QualAnalysisError(
            [
                f"case {c!r} has no source in the project (known: {', '.join(known_cases)})"
                for c in missing
            ]
        )
    texts = dict(zip(sources["source"].astype(str), sources["text"].astype(str), strict=True))
    order = {s: i for i, s in enumerate(texts)}
    top = themes[themes["level"].astype(str).isin(list(levels))]
    spans = spans_by_theme(
        top["theme"].astype(str).tolist(),
        themes,
        theme_members,
        codes,
        codings,
        notes,
        include_code_descendants,
    )
    best = _exemplars(spans, case_of, order, exemplar_max)
    rows: list[dict[str, Any]] = []
    for theme, name, level in zip(
        top["theme"].astype(str), top["name"].astype(str), top["level"].astype(str), strict=True
    ):
        for case in chosen_cases:
            found = best.get((theme, case))
            if found is None:
                exemplar: dict[str, Any] = {
                    "exemplar": None,
                    "exemplar_source": None,
                    "exemplar_start": None,
                    "exemplar_end": None,
                }
                passages = 0
            else:
                passages, source, start, end = found
                quote = texts[source][start:end]
                if end - start > exemplar_max:
                    quote = texts[source][start : start + exemplar_max] + "..."
                exemplar = {
                    "exemplar": quote,
                    "exemplar_source": source,
                    "exemplar_start": start,
                    "exemplar_end": end,
                }
            rows.append(
                {
                    "theme": theme,
                    "theme_name": name,
                    "level": level,
                    "case": case,
                    "passages": passages,
                    "present": passages > 0,
                    **exemplar,
                }
            )
    long = pd.DataFrame(rows, columns=LONG_COLUMNS)
    long = long.astype(
        {
            "passages": np.int64,
            "present": bool,
            "exemplar": "string",
            "exemplar_source": "string",
            "exemplar_start": "Int64",
            "exemplar_end": "Int64",
        }
    )
    table = _wide(long, top, chosen_cases)
    rule = (
        f"longest passage of at most {exemplar_max} characters, ties to the earlier passage; "
        f"if all are longer, the shortest cut to {exemplar_max} characters"
    )
    return Recurrence(long=long, table=table, cases=tuple(chosen_cases), exemplar_rule=rule)


def _below(children: dict[str, list[str]], root: str) -> list[str]:
    """``root`` and every theme below it (as :func:`balm.qual.queries.descendants`)."""
    found, stack, seen = [], [root], {root}
    while stack:
        node = stack.pop()
        found.append(node)
        for child in children.get(node, []):
            if child not in seen:  # a cycle in a broken file must not loop forever
                seen.add(child)
                stack.append(child)
    return found


def spans_by_theme(
    top: list[str],
    themes: pd.DataFrame,
    theme_members: pd.DataFrame,
    codes: pd.DataFrame,
    codings: pd.DataFrame,
    notes: pd.DataFrame,
    include_code_descendants: bool,
) -> pd.DataFrame:
    """``theme``, ``source``, ``start``, ``end`` of every passage under each theme of ``top``:
    what :func:`balm.qual.queries.theme_spans` gives for each, found for all of them with a
    few joins instead of one pass over the frames per theme."""
    for frame, name in (
        (theme_members, "theme_members"),
        (codes, "codes"),
        (codings, "codings"),
        (notes, "notes"),
    ):
        require(frame, name)
    columns = ["theme", "source", "start", "end"]
    children: dict[str, list[str]] = {}
    for child, parent in zip(themes["theme"].astype(str), themes["parent"], strict=True):
        if not pd.isna(parent):
            children.setdefault(str(parent), []).append(child)
    under = pd.DataFrame(
        [(t, node) for t in top for node in _below(children, t)], columns=["theme", "node"]
    )
    members = pd.DataFrame(
        {
            "node": theme_members["theme"].astype(str).to_numpy(),
            "kind": theme_members["kind"].astype(str).to_numpy(),
            "member": theme_members["member"].astype(str).to_numpy(),
        }
    )
    held = under.merge(members, on="node")
    coding_rows = pd.DataFrame(
        {
            "coding": codings["coding"].astype(str).to_numpy(),
            "code": codings["code"].astype(str).to_numpy(),
            "source": codings["source"].astype(str).to_numpy(),
            "start": codings["start"].to_numpy(dtype=np.int64),
            "end": codings["end"].to_numpy(dtype=np.int64),
        }
    )
    direct = held[held["kind"] == "coding"].merge(coding_rows, left_on="member", right_on="coding")
    roots = held.loc[held["kind"] == "code", "member"].unique().tolist()
    expand = pd.DataFrame(
        [
            (root, code)
            for root in roots
            for code in (descendants(codes, "code", root) if include_code_descendants else [root])
        ],
        columns=["member", "code"],
    )
    via_code = held[held["kind"] == "code"].merge(expand, on="member").merge(coding_rows, on="code")
    coded = pd.concat([direct[["theme", "coding", *columns[1:]]],
                       via_code[["theme", "coding", *columns[1:]]]], ignore_index=True)  # fmt: skip
    coded = coded.drop_duplicates(subset=["theme", "coding"])
    anchored = notes[notes["source"].notna() & notes["start"].notna() & notes["end"].notna()]
    note_rows = pd.DataFrame(
        {
            "note": anchored["note"].astype(str).to_numpy(),
            "source": anchored["source"].astype(str).to_numpy(),
            "start": anchored["start"].to_numpy(dtype=np.int64),
            "end": anchored["end"].to_numpy(dtype=np.int64),
        }
    )
    noted = held[held["kind"] == "note"].merge(note_rows, left_on="member", right_on="note")
    noted = noted.drop_duplicates(subset=["theme", "note"])
    return pd.concat([coded[columns], noted[columns]], ignore_index=True)


def _exemplars(
    spans: pd.DataFrame, case_of: dict[str, Any], order: dict[str, int], limit: int
) -> dict[tuple[str, str], tuple[int, str, int, int]]:
    """(theme, case) -> (passages, exemplar source, start, end), for every theme and case
    with a passage, by the rule of the module docstring, in one sort of all passages.

    Passages that fit come first, longest first; then the others, shortest first; ties go to
    the earlier source and start."""
    if spans.empty:
        return {}
    source = spans["source"].astype(str)
    spans = spans.assign(
        source=source,
        case=source.map(case_of),
        length=(spans["end"] - spans["start"]).astype(np.int64),
        position=source.map(order),
    )
    spans = spans[spans["case"].notna()]
    spans = spans.assign(case=spans["case"].astype(str))
    fits = spans["length"] <= limit
    # One key: fitting passages by length descending, then the rest by length ascending.
    spans = spans.assign(key=np.where(fits, -spans["length"], spans["length"] + limit + 1))
    ordered = spans.sort_values(["theme", "case", "key", "position", "start"], kind="stable")
    # each row carries its group's size, so the first row of a group has the count at hand
    # (a lookup per group in a MultiIndex was the slowest step of the table)
    ordered = ordered.assign(
        passages=ordered.groupby(["theme", "case"], sort=False)["start"].transform("size")
    )
    first = ordered.drop_duplicates(subset=["theme", "case"], keep="first")
    return {
        (str(t), str(c)): (int(n), str(s), int(a), int(b))
        for t, c, n, s, a, b in zip(
            first["theme"].tolist(),
            first["case"].tolist(),
            first["passages"].tolist(),
            first["source"].tolist(),
            first["start"].tolist(),
            first["end"].tolist(),
            strict=True,
        )
    }


def _wide(long: pd.DataFrame, top: pd.DataFrame, cases: list[str]) -> pd.DataFrame:
    counts = long.pivot(index="theme", columns="case", values="passages")
    ids = top["theme"].astype(str).tolist()
    counts = counts.reindex(index=ids, columns=cases).fillna(0).astype(np.int64)
    table = pd.DataFrame(
        {
            "theme_name": top["name"].astype(str).to_numpy(),
            "level": top["level"].astype(str).to_numpy(),
        },
        index=pd.Index(ids, name="theme"),
    )
    table = table.join(counts)
    present = (counts > 0).sum(axis=1)
    table["cases_present"] = present.astype(np.int64)
    table["share"] = present / len(cases) if cases else np.nan
    return table
