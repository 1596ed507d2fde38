"""PSEQ scoring key: ten items rated 0-6, summed 0-60, higher = more self-efficacy.

Key source: Nicholas 2007, Eur J Pain 11:153-163 (sum of ten 0-6 ratings). Severity bands:
ePPOC reference manual (0-19 severe, 20-30 moderate, 31-40 mild, 41-60 minimal), as reported
in a public summary. Expected values are worked by hand.
"""

from __future__ import annotations

import pytest

from balm.instruments import ResponseValidationError, score_one


def answers(*values: object) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum_answers_score_zero_severe() -> None:
    """All 'not at all confident' (0): total 0, severe (Nicholas 2007; ePPOC bands)."""
    assert score_one("pseq", answers(*[0] * 10)) == {"total": 0.0, "total_band": "severe"}


def test_all_maximum_answers_score_60_minimal() -> None:
    """All 'completely confident' (6): total 10 x 6 = 60, minimal (Nicholas 2007; ePPOC)."""
    assert score_one("pseq", answers(*[6] * 10)) == {"total": 60.0, "total_band": "minimal"}


def test_mixed_response_worked_by_hand() -> None:
    """Plain sum, no reversed items (Nicholas 2007).

    q1..q10 = 4 3 2 5 1 3 0 2 3 4 -> 4+3+2+5+1+3+0+2+3+4 = 27 -> moderate (20-30, ePPOC).
    """
    result = score_one("pseq", answers(4, 3, 2, 5, 1, 3, 0, 2, 3, 4))
    assert result == {"total": 27.0, "total_band": "moderate"}


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ((6, 6, 6, 1, 0, 0, 0, 0, 0, 0), 19, "severe"),
        ((6, 6, 6, 2, 0, 0, 0, 0, 0, 0), 20, "moderate"),
        ((6, 6, 6, 6, 6, 0, 0, 0, 0, 0), 30, "moderate"),
        ((6, 6, 6, 6, 6, 1, 0, 0, 0, 0), 31, "mild"),
        ((6, 6, 6, 6, 6, 6, 4, 0, 0, 0), 40, "mild"),
        ((6, 6, 6, 6, 6, 6, 5, 0, 0, 0), 41, "minimal"),
    ],
)
def test_band_edges_both_sides_of_each_cut_point(
    values: tuple[int, ...], total: int, band: str
) -> None:
    """ePPOC bands: 19/20, 30/31 and 40/41 fall in different bands."""
    result = score_one("pseq", answers(*values))
    assert result == {"total": float(total), "total_band": band}


def test_one_blank_item_is_not_computed() -> None:
    """No published missing-item rule confirmed, so max_missing is 0: no total."""
    assert score_one("pseq", answers(*[3] * 9, None)) == {"total": None, "total_band": None}


@pytest.mark.parametrize("bad", [7, -1, 4.5])
def test_answer_outside_the_printed_weights_is_refused(bad: float) -> None:
    """Only the printed ratings 0-6 are accepted (Nicholas 2007)."""
    with pytest.raises(ResponseValidationError) as raised:
        score_one("pseq", answers(*[3] * 4, bad, *[3] * 5))
    assert [problem.column for problem in raised.value.problems] == ["q5"]
