"""Queries over a coded project: quotes for a code or a theme, co-occurrence, code x case.

Every quote's text is ``sources.text[start:end]`` (code points of the NFC text). Filters on
source attributes take a mapping of column name to a wanted value, a list of wanted values, or
a function from the column (a pandas Series) to a boolean mask; a column may be one of the
sources frame (``source``, ``name``, ``case``, ``kind``) or of the case variables (joined by
case, scores included via :func:`with_scores`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.frame_checks import require, unknown
from balm.qual.spans import merge_intervals

Wanted = Any | Sequence[Any] | Callable[[pd.Series], Any]

QUOTE_COLUMNS = [
    "via",
    "item",
    "source",
    "case",
    "kind",
    "start",
    "end",
    "code",
    "code_name",
    "coder",
    "quote",
]
_SOURCE_COLUMNS = ("source", "name", "case", "kind")


def descendants(frame: pd.DataFrame, id_column: str, root: str) -> list[str]:
    """``root`` and every id below it through the ``parent`` column (breadth first)."""
    children: dict[str, list[str]] = {}
    for child, parent in zip(frame[id_column].astype(str), frame["parent"], strict=True):
        if not pd.isna(parent):
            children.setdefault(str(parent), []).append(child)
    found, queue, seen = [], [root], {root}
    while queue:
        node = queue.pop(0)
        found.append(node)
        for child in children.get(node, []):
            if child not in seen:  # a cycle in a broken file must not loop forever
                seen.add(child)
                queue.append(child)
    return found


def with_scores(case_variables: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Case variables with the columns of a per-case scores frame joined by ``case``.

    ``scores`` must have one row per case and a ``case`` column; a column already among the
    case variables, or a case repeated, is refused (nothing is overwritten).
    """
    problems = []
    if "case" not in scores.columns:
        problems.append("the scores frame has no 'case' column")
    else:
        repeated = scores["case"][scores["case"].duplicated()].astype(str).unique().tolist()
        problems += [f"case {c} appears more than once in the scores" for c in repeated]
        clash = [c for c in scores.columns if c != "case" and c in case_variables.columns]
        problems += [f"column {c} is both a case variable and a score" for c in clash]
    if problems:
        raise QualAnalysisError(problems)
    left = case_variables.assign(case=case_variables["case"].astype(str))
    right = scores.assign(case=scores["case"].astype(str))
    return left.merge(right, on="case", how="left")


def source_selection(
    sources: pd.DataFrame,
    case_variables: pd.DataFrame | None = None,
    where: Mapping[str, Wanted] | None = None,
) -> pd.Index:
    """Ids of the sources whose attributes (and case variables) match every filter."""
    require(sources, "sources")
    ids = pd.Index(sources["source"].astype(str))
    if not where:
        return ids
    table = sources.loc[:, list(_SOURCE_COLUMNS)].copy()
    table["case"] = table["case"].astype("string")
    if case_variables is not None:
        require(case_variables, "case_variables")
        extra = case_variables.drop(
            columns=[c for c in _SOURCE_COLUMNS if c != "case"], errors="ignore"
        )
        extra = extra.assign(case=extra["case"].astype("string"))
        table = table.merge(extra, on="case", how="left")
    problems = unknown(where, table.columns, "filter column")
    if problems:
        raise QualAnalysisError(problems)
    mask = np.ones(len(table), dtype=bool)
    for column, wanted in where.items():
        values = table[column]
        if callable(wanted):
            hit = np.asarray(wanted(values), dtype=bool)
        elif isinstance(wanted, list | tuple | set | frozenset):
            hit = values.isin(list(wanted)).to_numpy(dtype=bool)
        else:
            hit = (values == wanted).fillna(False).to_numpy(dtype=bool)
        mask &= hit
    return pd.Index(table.loc[mask, "source"].astype(str))


def _quote_frame(spans: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Add case, kind and the quoted text to spans with source/start/end; sort by position."""
    info = sources.assign(source=sources["source"].astype(str)).set_index("source")
    texts = info["text"].astype(str)
    order = {s: i for i, s in enumerate(info.index)}
    out = spans.copy()
    out["source"] = out["source"].astype(str)
    out["case"] = out["source"].map(info["case"]).astype("string")
    out["kind"] = out["source"].map(info["kind"]).astype("string")
    out["quote"] = [
        texts[s][int(a) : int(b)]
        for s, a, b in zip(out["source"], out["start"], out["end"], strict=True)
    ]
    out["_order"] = out["source"].map(order)
    out = out.sort_values(["_order", "start", "end", "item"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)[QUOTE_COLUMNS]


def _coding_spans(codings: pd.DataFrame, codes: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(codes["code"].astype(str), codes["name"].astype(str), strict=True))
    return pd.DataFrame(
        {
            "via": "coding",
            "item": codings["coding"].astype(str).to_numpy(),
            "source": codings["source"].astype(str).to_numpy(),
            "start": codings["start"].to_numpy(dtype=np.int64),
            "end": codings["end"].to_numpy(dtype=np.int64),
            "code": codings["code"].astype(str).to_numpy(),
            "code_name": codings["code"].astype(str).map(names).to_numpy(),
            "coder": codings["coder"].astype(str).to_numpy(),
        }
    )


def code_quotes(
    sources: pd.DataFrame,
    codes: pd.DataFrame,
    codings: pd.DataFrame,
    code: str,
    *,
    include_descendants: bool = True,
    case_variables: pd.DataFrame | None = None,
    where: Mapping[str, Wanted] | None = None,
) -> pd.DataFrame:
    """Every coded passage of ``code`` (and, by default, of the codes below it).

    Returns one row per coding with columns ``via`` ("coding"), ``item`` (coding id),
    ``source``, ``case``, ``kind``, ``start``, ``end``, ``code``, ``code_name``, ``coder`` and
    ``quote`` (the text), in source order then by position.
    """
    for frame, name in ((sources, "sources"), (codes, "codes"), (codings, "codings")):
        require(frame, name)
    problems = unknown([code], codes["code"].astype(str), "code")
    if problems:
        raise QualAnalysisError(problems)
    wanted = descendants(codes, "code", code) if include_descendants else [code]
    chosen = source_selection(sources, case_variables, where)
    rows = codings[
        codings["code"].astype(str).isin(wanted) & codings["source"].astype(str).isin(chosen)
    ]
    return _quote_frame(_coding_spans(rows, codes), sources)


def theme_spans(
    theme: str,
    themes: pd.DataFrame,
    theme_members: pd.DataFrame,
    codes: pd.DataFrame,
    codings: pd.DataFrame,
    notes: pd.DataFrame,
    *,
    include_code_descendants: bool = True,
) -> pd.DataFrame:
    """Every passage under a theme, through its child themes and their members.

    A member coding is its own passage; a member code brings all its codings (and, by
    default, those of the codes below it); a member note brings its span when it is anchored
    to one (source, start and end all given). A passage reached twice counts once. Columns:
    ``via`` ("coding" or "note"), ``item`` (coding or note id), ``source``, ``start``, ``end``,
    ``code``, ``code_name``, ``coder`` (the note's author for notes).
    """
    for frame, name in (
        (themes, "themes"),
        (theme_members, "theme_members"),
        (codes, "codes"),
        (codings, "codings"),
        (notes, "notes"),
    ):
        require(frame, name)
    problems = unknown([theme], themes["theme"].astype(str), "theme")
    if problems:
        raise QualAnalysisError(problems)
    under = set(descendants(themes, "theme", theme))
    members = theme_members[theme_members["theme"].astype(str).isin(under)]
    kind = members["kind"].astype(str)
    member = members["member"].astype(str)
    code_ids = set(member[kind == "code"])
    if include_code_descendants:
        code_ids = {d for c in code_ids for d in descendants(codes, "code", c)}
    coding_ids = set(member[kind == "coding"])
    picked = codings[
        codings["coding"].astype(str).isin(coding_ids) | codings["code"].astype(str).isin(code_ids)
    ]
    spans = _coding_spans(picked, codes)
    note_rows = notes[
        notes["note"].astype(str).isin(set(member[kind == "note"]))
        & notes["source"].notna()
        & notes["start"].notna()
        & notes["end"].notna()
    ]
    note_spans = pd.DataFrame(
        {
            "via": "note",
            "item": note_rows["note"].astype(str).to_numpy(),
            "source": note_rows["source"].astype(str).to_numpy(),
            "start": note_rows["start"].to_numpy(dtype=np.int64),
            "end": note_rows["end"].to_numpy(dtype=np.int64),
            "code": pd.NA,
            "code_name": pd.NA,
            "coder": note_rows["author"].astype(str).to_numpy(),
        }
    )
    parts = [p for p in (spans, note_spans) if not p.empty]
    if not parts:
        return spans.iloc[0:0]
    both = pd.concat(parts, ignore_index=True)
    return both.drop_duplicates(subset=["via", "item"]).reset_index(drop=True)


def theme_quotes(
    sources: pd.DataFrame,
    codes: pd.DataFrame,
    codings: pd.DataFrame,
    themes: pd.DataFrame,
    theme_members: pd.DataFrame,
    notes: pd.DataFrame,
    theme: str,
    *,
    include_code_descendants: bool = True,
    case_variables: pd.DataFrame | None = None,
    where: Mapping[str, Wanted] | None = None,
) -> pd.DataFrame:
    """Every passage under ``theme`` (see :func:`theme_spans`), with its text, filtered.

    Same columns as :func:`code_quotes`; ``via`` says whether a row is a coding or a note.
    """
    spans = theme_spans(
        theme,
        themes,
        theme_members,
        codes,
        codings,
        notes,
        include_code_descendants=include_code_descendants,
    )
    chosen = source_selection(sources, case_variables, where)
    return _quote_frame(spans[spans["source"].isin(chosen)], sources)


def cooccurrence(
    codes: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    same_coder: bool = True,
    source_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Code x code counts of overlapping codings.

    Off the diagonal, cell (a, b) counts the pairs (a coding with code a, a coding with code b)
    in one source that share at least one character, by the same coder unless
    ``same_coder=False``. The diagonal counts the codings of each code. Rows and columns are
    the codes of the codes frame, by name, in its order.
    """
    require(codes, "codes")
    require(codings, "codings")
    ids = codes["code"].astype(str).tolist()
    rows = codings
    if source_ids is not None:
        rows = rows[rows["source"].astype(str).isin(list(source_ids))]
    frame = pd.DataFrame(
        {
            "id": np.arange(len(rows)),
            "source": rows["source"].astype(str).to_numpy(),
            "start": rows["start"].to_numpy(dtype=np.int64),
            "end": rows["end"].to_numpy(dtype=np.int64),
            "code": pd.Index(ids).get_indexer(pd.Index(rows["code"].astype(str))),
            "coder": rows["coder"].astype(str).to_numpy(),
        }
    )
    frame = frame[frame["code"] >= 0]
    keys = ["source", "coder"] if same_coder else ["source"]
    pairs = frame.merge(frame, on=keys, suffixes=("_a", "_b"))
    overlap = (
        (pairs["id_a"] < pairs["id_b"])
        & (pairs["start_a"] < pairs["end_b"])
        & (pairs["start_b"] < pairs["end_a"])
        & (pairs["code_a"] != pairs["code_b"])
    )
    pairs = pairs[overlap]
    n = len(ids)
    matrix = np.zeros((n, n), dtype=np.int64)
    np.add.at(matrix, (pairs["code_a"].to_numpy(), pairs["code_b"].to_numpy()), 1)
    matrix = matrix + matrix.T
    matrix[np.diag_indices(n)] = np.bincount(frame["code"].to_numpy(), minlength=n)
    names = codes["name"].astype(str).tolist()
    return pd.DataFrame(matrix, index=pd.Index(names, name="code"), columns=names)


def code_case_matrix(
    sources: pd.DataFrame,
    codes: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    measure: Literal["codings", "characters"] = "codings",
    include_descendants: bool = False,
) -> pd.DataFrame:
    """Code x case counts: number of codings, or number of coded characters.

    ``characters`` counts each character of a case's sources once per code however many
    codings (or coders) cover it. With ``include_descendants`` a code's row also counts the
    codings of the codes below it. Sources without a case are left out. Rows: code names in
    the codes frame's order; columns: cases, sorted.
    """
    for frame, name in ((sources, "sources"), (codes, "codes"), (codings, "codings")):
        require(frame, name)
    if measure not in ("codings", "characters"):
        raise QualAnalysisError([f"measure {measure!r} is not one of codings, characters"])
    case_of = dict(zip(sources["source"].astype(str), sources["case"], strict=True))
    cases = sorted({str(c) for c in case_of.values() if not pd.isna(c)})
    ids = codes["code"].astype(str).tolist()
    roll = {c: descendants(codes, "code", c) if include_descendants else [c] for c in ids}
    long = pd.DataFrame(
        {
            "source": codings["source"].astype(str).to_numpy(),
            "case": codings["source"].astype(str).map(case_of).to_numpy(),
            "start": codings["start"].to_numpy(dtype=np.int64),
            "end": codings["end"].to_numpy(dtype=np.int64),
            "code": codings["code"].astype(str).to_numpy(),
        }
    )
    long = long[long["case"].notna()]
    # one row per (row code, coding) so a coding also counts for each ancestor asked for
    target = pd.DataFrame([(r, c) for r, cs in roll.items() for c in cs], columns=["row", "code"])
    long = long.merge(target, on="code")
    rows = pd.Index(ids).get_indexer(pd.Index(long["row"]))
    cols = pd.Index(cases).get_indexer(pd.Index(long["case"].astype(str)))
    matrix = np.zeros((len(ids), len(cases)), dtype=np.int64)
    if measure == "codings":
        np.add.at(matrix, (rows, cols), 1)
    else:
        # union of the spans per (row code, case, source); sources numbered so keys never mix
        src = pd.Index(sorted(case_of)).get_indexer(pd.Index(long["source"]))
        group = (rows.astype(np.int64) * len(case_of) + src) * max(len(cases), 1) + cols
        merged, ms, me = merge_intervals(
            group.astype(np.int64),
            long["start"].to_numpy(dtype=np.int64),
            long["end"].to_numpy(dtype=np.int64),
            int(long["end"].max()) + 1 if len(long) else 1,
        )
        m_rows = merged // max(len(cases), 1) // len(case_of)
        m_cols = merged % max(len(cases), 1)
        np.add.at(matrix, (m_rows, m_cols), me - ms)
    return pd.DataFrame(
        matrix,
        index=pd.Index(codes["name"].astype(str).tolist(), name="code"),
        columns=pd.Index(cases, name="case"),
    )
