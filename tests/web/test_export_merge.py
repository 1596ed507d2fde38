"""The streamed scores export's merge (``balm.outcomes.export._merge_scores``): which stored
values land in which cell, worked by hand. The rule is :func:`score_columns`' (numbers; band
text only when asked; true/false are not numbers), looked up once per instrument and key."""

from __future__ import annotations

from typing import Any

from balm.outcomes.export import _merge_scores, score_columns

IDS = ("P1-c1", "P1", "Group", "site-a", "in_person", "fibromyalgia")


def _merge(rows: list[tuple[Any, ...]], measures: list[str], **options: Any) -> list[list[Any]]:
    return list(_merge_scores(iter(rows), measures, lambda key: (3, 40.0), **options))


def test_numbers_and_asked_for_band_text_land_in_their_cells() -> None:
    measures = ["gad7_total", "phq9_severity_band", "phq9_total", "phq9_q1"]
    rows = [
        (*IDS, "baseline", 2, "phq9", {"total": 12, "severity_band": "moderate", "flag": True}),
        (*IDS, "baseline", 1, "gad7", {"total": 7.5, "unknown": 3}),
        (*IDS, "end", 12, "phq9", {"total": 4, "severity_band": None}),
    ]
    merged = _merge(rows, measures, bands=True)
    assert merged == [
        # week 1: the earliest of the timepoint's rows; the course totals after the ids
        [*IDS, "baseline", 1, 3, 40.0, 7.5, "moderate", 12, None],
        [*IDS, "end", 12, 3, 40.0, None, None, 4, None],
    ]
    without_bands = _merge(rows, measures, bands=False)
    assert [row[-3] for row in without_bands] == [None, None]


def test_an_items_numeric_answer_is_its_own_column_and_blanks_stay_blank() -> None:
    measures = ["phq9_q1", "phq9_q2", "phq9_total"]
    rows = [(*IDS, "baseline", 0, "phq9", {"total": 3}, {"q1": 2, "q2": None, "q3": "x"})]
    assert _merge(rows, measures, bands=False, items=True) == [
        [*IDS, "baseline", 0, 3, 40.0, 2, None, 3]
    ]


def test_the_same_cells_as_score_columns() -> None:
    """Every kind of JSON value, against the reference rule, band text asked for or not."""
    scores = {"a": 1, "b": 2.5, "c": True, "d": False, "e": "x", "f_band": "mild", "g": None}
    scores |= {"h_band": 4, "i": [1], "j": {"k": 1}}
    measures = sorted(f"m_{key}" for key in scores)
    for bands in (False, True):
        expected = score_columns("m", scores, bands=bands)
        (row,) = _merge([(*IDS, "mid", 6, "m", scores)], measures, bands=bands)
        got = {m: v for m, v in zip(measures, row[10:], strict=True) if v is not None}
        assert got == expected
