"""GAD-7 scoring key: sum of seven items weighted 0-3, bands at 5, 10 and 15.

Key source: Spitzer, Kroenke, Williams & Lowe 2006, Arch Intern Med 166:1092-1097.
Every expected value below is worked by hand, not computed with balm's code.
"""

from __future__ import annotations

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, get_instrument, score, score_one


def answers(*values: object) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum_answers_score_zero_minimal() -> None:
    """All 'not at all' (0): total 0, minimal (Spitzer et al. 2006)."""
    result = score_one("gad7", answers(0, 0, 0, 0, 0, 0, 0))
    assert result == {"total": 0.0, "total_band": "minimal"}


def test_all_maximum_answers_score_21_severe() -> None:
    """All 'nearly every day' (3): total 7 x 3 = 21, severe (Spitzer et al. 2006)."""
    result = score_one("gad7", answers(3, 3, 3, 3, 3, 3, 3))
    assert result == {"total": 21.0, "total_band": "severe"}


def test_mixed_response_worked_by_hand() -> None:
    """Mixed answers (Spitzer et al. 2006 key: plain sum, no reversed items).

    q1..q7 = 2, 0, 3, 1, 1, 0, 2 -> 2 + 0 + 3 + 1 + 1 + 0 + 2 = 9 -> mild (5-9).
    """
    result = score_one("gad7", answers(2, 0, 3, 1, 1, 0, 2))
    assert result["total"] == 9.0
    assert result["total_band"] == "mild"


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ((3, 1, 0, 0, 0, 0, 0), 4, "minimal"),
        ((3, 2, 0, 0, 0, 0, 0), 5, "mild"),
        ((3, 3, 3, 0, 0, 0, 0), 9, "mild"),
        ((3, 3, 3, 1, 0, 0, 0), 10, "moderate"),
        ((3, 3, 3, 3, 2, 0, 0), 14, "moderate"),
        ((3, 3, 3, 3, 3, 0, 0), 15, "severe"),
    ],
)
def test_band_edges_both_sides_of_each_cut_point(
    values: tuple[int, ...], total: int, band: str
) -> None:
    """Cut-points 5, 10, 15: 4/5, 9/10 and 14/15 fall in different bands (Spitzer et al. 2006)."""
    result = score_one("gad7", answers(*values))
    assert result["total"] == total
    assert result["total_band"] == band


def test_one_blank_item_is_not_computed() -> None:
    """No published missing-item rule, so max_missing is 0: one blank item, no total."""
    result = score_one("gad7", answers(1, 1, 1, 1, 1, 1, None))
    assert result == {"total": None, "total_band": None}

    frame = pd.DataFrame({f"q{n}": [1, 1] for n in range(1, 8)} | {"q4": [1, ""]}, dtype=object)
    scored = score("gad7", frame)
    assert scored.scores["total"].iloc[0] == 7.0
    assert pd.isna(scored.scores["total"].iloc[1])
    assert scored.missing["total"].tolist() == [0, 1]
    assert scored.not_computed["total"].tolist() == [False, True]
    assert scored.prorated["total"].tolist() == [False, False]


@pytest.mark.parametrize("bad", [4, -1, 1.5])
def test_answer_outside_the_printed_weights_is_refused(bad: float) -> None:
    """Only the printed weights 0, 1, 2, 3 are accepted (Spitzer et al. 2006 form)."""
    with pytest.raises(ResponseValidationError) as raised:
        score_one("gad7", answers(0, 0, bad, 0, 0, 0, 0))
    assert [problem.column for problem in raised.value.problems] == ["q3"]


def test_loinc_codes_of_the_panel() -> None:
    """LOINC panel 69737-5 and total score 70274-6 (LOINC GAD-7 panel)."""
    instrument = get_instrument("gad7")
    assert instrument.loinc == "69737-5"
    assert instrument.scale("total").loinc == "70274-6"
    assert instrument.item("q1").loinc == "69725-0"
    assert instrument.item("q7").loinc == "69736-7"
