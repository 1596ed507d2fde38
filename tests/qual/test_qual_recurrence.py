"""Recurrence of group themes across cases, on a hand-built IPA hierarchy.

Group experiential themes G1, G2 -> personal experiential themes (one per participant) ->
experiential statements; members are codings, codes (with a child code) and notes. Expected
counts are read off the hierarchy by hand (comments)."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.qual import frames_factory as ff

from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.recurrence import recurrence

S1 = "The group felt safe. " + "x" * 40 + " I could breathe again when the others nodded."
S2 = "Being with others who understand helped me. They got it."
S3 = "My pain is an enemy that I fight every day."
S4 = "Second interview: in the group nobody judged the way I walk or sit down."

SOURCES = ff.sources(
    [
        ("S1", "P01", "interview", S1),
        ("S2", "P02", "interview", S2),
        ("S3", "P03", "interview", S3),
        ("S4", "P01", "interview", S4),
    ]
)
CODES = ff.codes([("C1", "Understood", None), ("C1a", "Peers get it", "C1"), ("C9", "Other", None)])


def at(text: str, phrase: str) -> tuple[int, int]:
    start = text.find(phrase)
    assert start >= 0
    return start, start + len(phrase)


CODINGS = ff.codings(
    [
        ("S1", *at(S1, "The group felt safe."), "C9", "A"),  # k1, 20 chars
        ("S4", *at(S4, "in the group nobody judged the way I walk or sit down."), "C9", "A"),  # k2
        ("S2", *at(S2, "Being with others who understand helped me."), "C1", "A"),  # k3
        ("S2", *at(S2, "They got it."), "C1a", "A"),  # k4
        ("S1", *at(S1, "I could breathe again"), "C9", "A"),  # k5
    ]
)
THEMES = ff.themes(
    [
        ("G1", "Finding safety in the group", None, "group", None),
        ("PET1", "Safe with others", "G1", "personal", "P01"),
        ("ES1", "The group is safe", "PET1", "statement", "P01"),
        ("PET2", "Understood", "G1", "personal", "P02"),
        ("G2", "Pain as an enemy", None, "group", None),
        ("PET3", "Fighting pain", "G2", "personal", "P03"),
    ]
)
MEMBERS = ff.theme_members(
    [
        ("ES1", "coding", "k1"),
        ("ES1", "coding", "k2"),
        ("PET2", "code", "C1"),
        ("PET3", "note", "n1"),
        ("PET3", "note", "n2"),
        ("G2", "coding", "k5"),
    ]
)
NOTES = ff.notes(
    [("n1", "S3", *at(S3, "an enemy that I fight"), "fight"), ("n2", None, None, None, "memo")]
)


def run(**kwargs: object) -> object:
    return recurrence(SOURCES, CODES, CODINGS, THEMES, MEMBERS, NOTES, **kwargs)  # type: ignore[arg-type]


def test_counts_presence_and_share() -> None:
    result = run()
    table = result.table
    # G1: P01 k1 + k2 (statement under PET1) = 2; P02 k3 + k4 (code C1 and its child) = 2;
    # P03 none. G2: P01 k5 (direct member) = 1; P03 n1 (anchored note; n2 has no span) = 1.
    assert table.loc["G1", ["P01", "P02", "P03"]].tolist() == [2, 2, 0]
    assert table.loc["G2", ["P01", "P02", "P03"]].tolist() == [1, 0, 1]
    assert table.loc["G1", "cases_present"] == 2
    assert table.loc["G1", "share"] == pytest.approx(2 / 3)
    assert list(table.index) == ["G1", "G2"]
    long = result.long
    assert len(long) == 6
    cell = long[(long["theme"] == "G2") & (long["case"] == "P02")].iloc[0]
    assert not cell["present"] and pd.isna(cell["exemplar"])


def test_exemplar_is_longest_under_the_limit() -> None:
    long = run().long
    p01 = long[(long["theme"] == "G1") & (long["case"] == "P01")].iloc[0]
    # k1 is 20 characters, k2 is 54: the longer one under 300 wins
    assert p01["exemplar"] == "in the group nobody judged the way I walk or sit down."
    assert p01["exemplar_source"] == "S4"
    note_cell = long[(long["theme"] == "G2") & (long["case"] == "P03")].iloc[0]
    assert note_cell["exemplar"] == "an enemy that I fight"


def test_exemplar_when_all_passages_are_too_long() -> None:
    long = run(exemplar_max=15).long
    p01 = long[(long["theme"] == "G1") & (long["case"] == "P01")].iloc[0]
    # both passages exceed 15: the shorter (k1, 20 chars) cut to 15 characters
    assert p01["exemplar"] == "The group felt ..."


def test_ties_go_to_the_earlier_passage() -> None:
    # two 12-character passages in P02 under G1 via code C1: k3 is 43 long, so limit 12 keeps
    # only k4 "They got it." (12)
    long = run(exemplar_max=12).long
    p02 = long[(long["theme"] == "G1") & (long["case"] == "P02")].iloc[0]
    assert p02["exemplar"] == "They got it."
    tie_codings = ff.codings([("S2", 0, 5, "C1", "A"), ("S2", 6, 11, "C1", "A")])
    tie = recurrence(SOURCES, CODES, tie_codings, THEMES, MEMBERS, NOTES).long
    cell = tie[(tie["theme"] == "G1") & (tie["case"] == "P02")].iloc[0]
    assert cell["exemplar_start"] == 0


def test_unknown_case_is_refused_and_json_has_shares() -> None:
    with pytest.raises(QualAnalysisError, match="case 'P99'"):
        run(cases=["P01", "P99"])
    with pytest.raises(QualAnalysisError, match="level 'super'"):
        run(levels=["super"])
    data = run().to_json()
    assert data["themes"][1] == {
        "theme": "G2",
        "theme_name": "Pain as an enemy",
        "cases_present": 2,
        "share": pytest.approx(2 / 3),
    }
