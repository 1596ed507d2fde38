"""Scoring key of the Brief Pain Inventory short form (BPI User Guide, Cleeland 2009):
severity = mean of the four 0-10 severity ratings (worst, least, average, now; q1-q4);
interference = mean of the seven 0-10 interference ratings (q5-q11), used when at least 4
of the 7 are answered. The guide gives no missing rule for severity (balm needs all four)."""

from collections.abc import Sequence

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, score, score_one


def answers(
    severity: Sequence[int | None], interference: Sequence[int | None]
) -> dict[str, int | None]:
    values = [*severity, *interference]
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum_and_all_maximum() -> None:
    """All 0 gives 0 and 0; all 10 gives 10 and 10 (BPI User Guide, Cleeland 2009)."""
    frame = pd.DataFrame([answers([0] * 4, [0] * 7), answers([10] * 4, [10] * 7)])
    scores = score("bpi_sf", frame).scores
    assert scores["severity"].tolist() == [0, 10]
    assert scores["interference"].tolist() == [0, 10]


def test_mixed_response_by_hand() -> None:
    """BPI User Guide (Cleeland 2009): both scales are means (no reversed items).

    severity     worst 8, least 3, average 5, now 6        = 22 / 4 = 5.5
    interference 7, 6, 5, 4, 3, 2, 1 (activity .. enjoyment) = 28 / 7 = 4.0
    """
    result = score_one("bpi_sf", answers([8, 3, 5, 6], [7, 6, 5, 4, 3, 2, 1]))
    assert result == {"severity": 5.5, "interference": 4.0}


def test_interference_with_three_blanks_uses_the_items_answered() -> None:
    """BPI User Guide: the interference mean can be used when 4 of 7 items are answered.

    interference 7, 6, 5, 4, -, -, - = 22 / 4 = 5.5
    """
    result = score("bpi_sf", pd.DataFrame([answers([2] * 4, [7, 6, 5, 4, None, None, None])]))
    assert result.scores["interference"].tolist() == pytest.approx([5.5])
    assert result.prorated["interference"].tolist() == [True]
    assert result.scores["severity"].tolist() == [2]


def test_interference_with_four_blanks_is_not_computed() -> None:
    """BPI User Guide: with only 3 of 7 interference items answered there is no score."""
    result = score_one("bpi_sf", answers([2] * 4, [7, 6, 5, None, None, None, None]))
    assert result == {"severity": 2, "interference": None}


def test_severity_needs_all_four_ratings() -> None:
    """The BPI User Guide gives no missing rule for the severity composite, so balm needs all
    four ratings; interference (complete: 3 x 7 / 7 = 3) is unaffected."""
    result = score_one("bpi_sf", answers([8, None, 5, 6], [3] * 7))
    assert result == {"severity": None, "interference": 3}


@pytest.mark.parametrize("bad", [11, -1, 7.5])
def test_out_of_range_answer_is_refused(bad: float) -> None:
    """Every BPI rating is a whole number 0-10 (BPI User Guide, Cleeland 2009)."""
    with pytest.raises(ResponseValidationError):
        score_one("bpi_sf", {**answers([1] * 4, [1] * 7), "q9": bad})
