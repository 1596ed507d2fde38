"""Queries: quotes for a code or theme with filters, co-occurrence and code x case matrices.

Expected values are counted by hand from the tiny project below (offsets found with str.find
on the literal texts, so each quote's expected text is the literal phrase)."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.qual import frames_factory as ff

from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.queries import (
    code_case_matrix,
    code_quotes,
    cooccurrence,
    theme_quotes,
    with_scores,
)

T1 = "I was scared of the pain. Then the group helped me."
T2 = "Breathing helped. I felt calmer with others."
T3 = "Good sessions."


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.find(phrase)
    assert start >= 0
    return start, start + len(phrase)


SOURCES = ff.sources(
    [("S1", "P01", "interview", T1), ("S2", "P02", "interview", T2), ("S3", None, "feedback", T3)]
)
CODES = ff.codes([("C1", "Fear", None), ("C2", "Support", None), ("C2a", "Peer support", "C2")])
CODINGS = ff.codings(
    [
        ("S1", *span(T1, "I was scared of the pain."), "C1", "A"),  # k1
        ("S1", *span(T1, "the group helped me"), "C2a", "A"),  # k2
        ("S1", *span(T1, "Then the group helped me."), "C2", "A"),  # k3 overlaps k2
        ("S2", *span(T2, "Breathing helped."), "C2", "B"),  # k4
        ("S2", *span(T2, "calmer with others"), "C2a", "A"),  # k5
        ("S3", *span(T3, "Good sessions."), "C2", "A"),  # k6
        ("S1", *span(T1, "scared of the pain. Then"), "C2", "B"),  # k7 overlaps k1 (other coder)
    ]
)
CASES = ff.case_variables(
    [
        {"case": "P01", "cohort": "A", "format": "online"},
        {"case": "P02", "cohort": "B", "format": "in person"},
    ]
)


def test_code_quotes_with_descendants_and_text() -> None:
    quotes = code_quotes(SOURCES, CODES, CODINGS, "C2")
    # source order S1, S2, S3 then by start: S1: k7 (6), k3 (26), k2 (31); S2: k4, k5; S3: k6
    assert quotes["item"].tolist() == ["k7", "k3", "k2", "k4", "k5", "k6"]
    assert quotes.loc[quotes["item"] == "k2", "quote"].item() == "the group helped me"
    assert quotes.loc[quotes["item"] == "k5", "code_name"].item() == "Peer support"
    only = code_quotes(SOURCES, CODES, CODINGS, "C2", include_descendants=False)
    assert only["item"].tolist() == ["k7", "k3", "k4", "k6"]


def test_code_quotes_filtered_by_case_variables_and_scores() -> None:
    online = code_quotes(
        SOURCES, CODES, CODINGS, "C2", case_variables=CASES, where={"format": "online"}
    )
    assert set(online["item"]) == {"k7", "k3", "k2"}
    feedback = code_quotes(SOURCES, CODES, CODINGS, "C2", where={"kind": "feedback"})
    assert feedback["item"].tolist() == ["k6"]
    scores = pd.DataFrame({"case": ["P01", "P02"], "phq9_change": [-2.0, -8.0]})
    joined = with_scores(CASES, scores)
    improved = code_quotes(
        SOURCES,
        CODES,
        CODINGS,
        "C2",
        case_variables=joined,
        where={"phq9_change": lambda s: s <= -5},
    )
    assert improved["item"].tolist() == ["k4", "k5"]
    both = code_quotes(SOURCES, CODES, CODINGS, "C2", where={"case": ["P01", "P02"]})
    assert set(both["case"]) == {"P01", "P02"}


def test_unknown_filter_and_code_are_refused() -> None:
    with pytest.raises(QualAnalysisError, match="filter column 'site'"):
        code_quotes(SOURCES, CODES, CODINGS, "C2", where={"site": "X"})
    with pytest.raises(QualAnalysisError, match="code 'C9'"):
        code_quotes(SOURCES, CODES, CODINGS, "C9")
    with pytest.raises(QualAnalysisError, match="column cohort is both"):
        with_scores(CASES, pd.DataFrame({"case": ["P01"], "cohort": ["Z"]}))
    with pytest.raises(QualAnalysisError, match="case P01 appears more than once"):
        with_scores(CASES, pd.DataFrame({"case": ["P01", "P01"], "x": [1, 2]}))


def test_theme_quotes_through_child_themes_codes_and_notes() -> None:
    themes = ff.themes(
        [("T", "Feeling held", None, "theme", None), ("t1", "Others help", "T", "subtheme", None)]
    )
    members = ff.theme_members(
        [("T", "coding", "k1"), ("t1", "code", "C2a"), ("t1", "coding", "k2"), ("t1", "note", "n1")]
    )
    notes = ff.notes(
        [("n1", "S2", *span(T2, "I felt calmer"), "calm"), ("n2", None, None, None, "free memo")]
    )
    quotes = theme_quotes(SOURCES, CODES, CODINGS, themes, members, notes, "T")
    # k1 (direct), k2 (direct and via C2a: once), k5 (via C2a), n1 (anchored note)
    assert quotes["item"].tolist() == ["k1", "k2", "n1", "k5"]
    assert quotes.loc[quotes["item"] == "n1", "quote"].item() == "I felt calmer"
    assert quotes.loc[quotes["item"] == "n1", "via"].item() == "note"


def test_cooccurrence_hand_counted() -> None:
    matrix = cooccurrence(CODES, CODINGS)
    # same coder: A in S1: k1 (Fear 0-25) and k3 (Support 26-51) do not touch; k2 (Peer) inside
    # k3 -> Support x Peer support = 1. B: k7 (Support) alone in S1. Fear x Support = 0.
    assert matrix.loc["Support", "Peer support"] == 1
    assert matrix.loc["Peer support", "Support"] == 1
    assert matrix.loc["Fear", "Support"] == 0
    assert matrix.loc["Support", "Support"] == 4  # k3, k4, k6, k7
    across = cooccurrence(CODES, CODINGS, same_coder=False)
    # adds k1 (Fear, A) x k7 (Support, B) overlapping on "scared of the pain."
    assert across.loc["Fear", "Support"] == 1


def test_code_case_matrix_counts_and_characters() -> None:
    counts = code_case_matrix(SOURCES, CODES, CODINGS)
    assert counts.loc["Support", "P01"] == 2  # k3, k7 (S3 has no case)
    assert counts.loc["Peer support", "P02"] == 1
    assert list(counts.columns) == ["P01", "P02"]
    rolled = code_case_matrix(SOURCES, CODES, CODINGS, include_descendants=True)
    assert rolled.loc["Support", "P01"] == 3  # k2 counts for its parent too
    chars = code_case_matrix(SOURCES, CODES, CODINGS, measure="characters")
    # Support in P01: k7 = 6-30, k3 = 26-51: union 6-51 = 45 characters
    assert chars.loc["Support", "P01"] == 45
    assert chars.loc["Fear", "P01"] == len("I was scared of the pain.")
