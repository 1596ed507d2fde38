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
from balm.qual.queries import theme_spans

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
    rows: list[dict[str, Any]] = []
    for theme, name, level in zip(
        top["theme"].astype(str), top["name"].astype(str), top["level"].astype(str), strict=True
    ):
        spans = theme_spans(
            theme,
            themes,
            theme_members,
            codes,
            codings,
            notes,
            include_code_descendants=include_code_descendants,
        )
        spans = spans.assign(case=spans["source"].map(case_of))
        by_case = {str(c): part for c, part in spans.groupby("case", sort=False)}
        for case in chosen_cases:
            mine = by_case.get(case, spans.iloc[0:0])
            exemplar = _exemplar(mine, texts, order, exemplar_max)
            rows.append(
                {
                    "theme": theme,
                    "theme_name": name,
                    "level": level,
                    "case": case,
                    "passages": len(mine),
                    "present": len(mine) > 0,
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


def _exemplar(
    spans: pd.DataFrame, texts: dict[str, str], order: dict[str, int], limit: int
) -> dict[str, Any]:
    if spans.empty:
        return {
            "exemplar": None,
            "exemplar_source": None,
            "exemplar_start": None,
            "exemplar_end": None,
        }
    frame = spans.assign(length=spans["end"] - spans["start"], position=spans["source"].map(order))
    fits = frame[frame["length"] <= limit]
    if not fits.empty:
        best = fits.sort_values(
            ["length", "position", "start"], ascending=[False, True, True], kind="stable"
        ).iloc[0]
        text = texts[best["source"]][int(best["start"]) : int(best["end"])]
    else:
        best = frame.sort_values(["length", "position", "start"], kind="stable").iloc[0]
        text = texts[best["source"]][int(best["start"]) : int(best["start"]) + limit] + "..."
    return {
        "exemplar": text,
        "exemplar_source": str(best["source"]),
        "exemplar_start": int(best["start"]),
        "exemplar_end": int(best["end"]),
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
