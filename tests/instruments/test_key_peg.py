"""Scoring key of the PEG (Krebs et al. 2009, J Gen Intern Med 24:733-738): three items
0-10 (average pain, interference with enjoyment of life, with general activity); score =
mean of the three; no published missing-item rule (balm needs all three)."""

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, score, score_one


def test_all_minimum() -> None:
    """All three items 0 gives 0 (Krebs et al. 2009)."""
    assert score_one("peg", {"q1": 0, "q2": 0, "q3": 0}) == {"total": 0}


def test_all_maximum() -> None:
    """All three items 10 gives 10 (Krebs et al. 2009)."""
    assert score_one("peg", {"q1": 10, "q2": 10, "q3": 10}) == {"total": 10}


def test_mixed_response_is_the_mean() -> None:
    """Krebs et al. 2009: score = mean of the three items.

    q1 7, q2 4, q3 5: (7 + 4 + 5) / 3 = 16 / 3 = 5.333...
    q1 2, q2 3, q3 7: (2 + 3 + 7) / 3 = 12 / 3 = 4
    """
    frame = pd.DataFrame({"q1": [7, 2], "q2": [4, 3], "q3": [5, 7]})
    totals = score("peg", frame).scores["total"].tolist()
    assert totals == pytest.approx([16 / 3, 4.0])


def test_a_blank_item_leaves_the_score_missing() -> None:
    """Krebs et al. 2009 give no rule for missing items, so balm scores complete responses
    only."""
    result = score("peg", pd.DataFrame({"q1": [6], "q2": [None], "q3": [4]}))
    assert result.scores["total"].isna().all()
    assert result.not_computed["total"].tolist() == [True]


@pytest.mark.parametrize("bad", [11, -1, 4.5])
def test_out_of_range_answer_is_refused(bad: float) -> None:
    """Each item takes the whole numbers 0-10 only (Krebs et al. 2009)."""
    with pytest.raises(ResponseValidationError):
        score_one("peg", {"q1": 3, "q2": bad, "q3": 3})
