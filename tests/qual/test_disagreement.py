"""Disagreements between two coders as runs of text (balm.qual.disagreement), hand-worked."""

from __future__ import annotations

from balm.qual.disagreement import Disagreement, disagreements


def test_one_coder_alone_is_a_disagreement_and_identical_coverage_is_not() -> None:
    rows = [
        ("s1", "loss", "A", 0, 10),
        ("s1", "loss", "B", 0, 10),  # same span: agreement
        ("s1", "hope", "A", 20, 30),  # only A
        ("s1", "hope", "C", 40, 50),  # a third coder is ignored
    ]
    assert disagreements(rows, "A", "B") == [Disagreement("s1", "hope", 20, 30, ((20, 30),), ())]


def test_different_boundaries_make_one_run_with_both_versions() -> None:
    # A codes [5, 15), B codes [10, 25): they overlap, so one run [5, 25).
    rows = [("s1", "loss", "A", 5, 15), ("s1", "loss", "B", 10, 25)]
    assert disagreements(rows, "A", "B") == [
        Disagreement("s1", "loss", 5, 25, ((5, 15),), ((10, 25),))
    ]


def test_coverage_counts_not_how_it_was_split() -> None:
    # [0, 5) + [5, 10) covers exactly what [0, 10) covers: no disagreement.
    rows = [("s1", "loss", "A", 0, 5), ("s1", "loss", "A", 5, 10), ("s1", "loss", "B", 0, 10)]
    assert disagreements(rows, "A", "B") == []


def test_touching_spans_of_different_coders_are_separate_runs() -> None:
    # A [0, 5), B [5, 9): they share no character, so two runs, each one coder's.
    rows = [("s1", "c", "A", 0, 5), ("s1", "c", "B", 5, 9)]
    assert disagreements(rows, "A", "B") == [
        Disagreement("s1", "c", 0, 5, ((0, 5),), ()),
        Disagreement("s1", "c", 5, 9, (), ((5, 9),)),
    ]


def test_ordered_by_source_then_position() -> None:
    rows = [
        ("s2", "c", "A", 0, 3),
        ("s1", "c", "B", 50, 60),
        ("s1", "d", "A", 10, 12),
    ]
    assert [(d.source, d.start) for d in disagreements(rows, "A", "B")] == [
        ("s2", 0),
        ("s1", 10),
        ("s1", 50),
    ]
