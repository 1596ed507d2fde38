"""The scores export's merge of a course's responses into one row per timepoint
(``balm.outcomes.score_rows.merged_rows`` and ``columns_of``, pure): which stored values land in
which column, worked by hand. The rule is :func:`score_columns`' (numbers; band text only when
asked; true/false are not numbers); answers are their own columns, blanks stay blank."""

from __future__ import annotations

from balm.outcomes.export import score_columns
from balm.outcomes.score_rows import columns_of, items_of, kinds_of, merged_rows


def test_numbers_band_text_and_answers_land_in_their_columns() -> None:
    rows = [
        (7, "baseline", 2, "phq9", {"total": 12, "total_band": "moderate", "flag": True}, {}),
        (7, "baseline", 1, "gad7", {"total": 7.5, "unknown": 3}, {"q1": 2, "q2": None}),
        (7, "end", 12, "phq9", {"total": 4, "total_band": None}, {"q1": "x"}),
    ]
    merged = merged_rows(rows)
    assert list(merged) == [(7, "baseline"), (7, "end")]
    week, numbers, bands, answers, kinds, items = merged[7, "baseline"]
    assert week == 1  # the earliest of the timepoint's questionnaires
    assert numbers == {"phq9_total": 12, "gad7_total": 7.5, "gad7_unknown": 3}
    assert bands == {"phq9_total_band": "moderate"}
    assert answers == {"gad7_q1": 2}  # q2 blank: absent, never 0
    assert kinds == {
        "phq9_total": "number",
        "phq9_total_band": "text",
        "gad7_total": "number",
        "gad7_unknown": "number",
    }
    assert items == {"gad7": ["q1"]}
    assert merged[7, "end"] == (12, {"phq9_total": 4}, {}, {}, {"phq9_total": "number"}, {})


def test_the_same_cells_as_score_columns() -> None:
    """Every kind of JSON value, against the reference rule, band text asked for or not."""
    scores = {"a": 1, "b": 2.5, "c": True, "d": False, "e": "x", "f_band": "mild", "g": None}
    scores |= {"h_band": 4, "i": [1], "j": {"k": 1}}
    numbers, bands, answers = columns_of("m", scores, {"q1": 1, "q2": True, "q3": "2"})
    assert (
        numbers
        == score_columns("m", scores, bands=False)
        == {
            "m_a": 1,
            "m_b": 2.5,
            "m_h_band": 4,
        }
    )
    assert numbers | bands == score_columns("m", scores, bands=True)
    assert answers == {"m_q1": 1}
    assert kinds_of(numbers, bands) == {
        "m_a": "number",
        "m_b": "number",
        "m_h_band": "number",
        "m_f_band": "text",
    }
    assert items_of("m", {"q1": 1, "q2": True, "q3": "2", "q4": 0.5}) == {"m": ["q1", "q4"]}
    assert items_of("m", {"q1": None}) == {}
